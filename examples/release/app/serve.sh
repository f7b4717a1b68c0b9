#!/bin/sh
echo "hello from the release example"
