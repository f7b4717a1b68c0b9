# syntax=docker/dockerfile:1
# The docspringcom/cigen image: a static cigen on Debian slim, usable as a CircleCI primary container.
#
# usage: docker buildx build --platform linux/amd64,linux/arm64 --build-arg VERSION=0.1.0 -t docspringcom/cigen:0.1.0 .
#
# Multi-arch: the build stage has no --platform=$BUILDPLATFORM, so buildx runs it once per target
# platform (natively on an arm64 builder, or under QEMU emulation). scripts/build-static.sh reads
# TARGETARCH (amd64 -> x86_64-unknown-linux-musl, arm64 -> aarch64-unknown-linux-musl) and refuses
# to cross-compile, since Debian ships no musl cross-gcc for the C parts (libgit2, OpenSSL, libssh2).

FROM rust:1.95.0-slim-bookworm AS build
ARG TARGETARCH
WORKDIR /src
COPY scripts/build-static.sh scripts/
COPY Cargo.toml Cargo.lock ./
COPY src/ src/
# The script installs what it needs (musl-tools, make, perl) and prints the binary's path last.
RUN scripts/build-static.sh > /tmp/binary-path \
 && install -m 0755 "$(tail -n 1 /tmp/binary-path)" /cigen

# Debian slim rather than Alpine: cigen is static and would run on either, and Alpine is smaller,
# but steps users add to the setup job expect the glibc/GNU userland of cimg/* images (GNU tar and
# coreutils options, glibc binaries). CircleCI requires bash, git, ssh, tar, gzip and
# ca-certificates in a custom primary image (https://circleci.com/docs/custom-images/).
FROM debian:12.11-slim
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="cigen" \
      org.opencontainers.image.description="Generates CircleCI config from .cigen/ and skips jobs whose exact inputs already passed" \
      org.opencontainers.image.source="https://github.com/DocSpring/cigen" \
      org.opencontainers.image.url="https://github.com/DocSpring/cigen" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT"
RUN apt-get update \
 && apt-get install -y --no-install-recommends bash ca-certificates git gzip openssh-client tar \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /cigen /usr/local/bin/cigen
# The binary is the version the image is tagged with.
RUN test "$(cigen --version)" = "cigen ${VERSION}"
# No ENTRYPOINT: for the primary container CircleCI ignores the image's entrypoint and command
# unless the job sets `command` (https://circleci.com/docs/configuration-reference/#docker), and
# does not preserve entrypoints by default (https://circleci.com/docs/custom-images/).
