#!/bin/sh
# Acceptance test: the image answers.
docker run --rm "$1" | grep -q "hello"
