#!/bin/sh
# Generates ./configure from configure.ac (needs autoconf, automake, libtool).
set -e
cd "$(dirname "$0")"
# libtool installs its macros into m4/ (not in git); aclocal warns when the
# directory it is told to search does not exist yet.
mkdir -p m4
autoreconf --install --force
