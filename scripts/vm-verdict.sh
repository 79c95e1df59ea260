#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# vm-verdict.sh LOG: the verdict in a guest's console log, its last line
# `PMAP_RESULT: N passed, N failed, N skipped`, printed as it is. Exit 0
# when nothing failed, 1 when something did, 2 when there is no such line
# (hang, crash, panic).
set -eu
res=$(tr -d '\r' <"${1:?usage: vm-verdict.sh LOG}" |
	grep -o 'PMAP_RESULT: [0-9]* passed, [0-9]* failed, [0-9]* skipped' |
	tail -n 1) || true
[ -n "$res" ] || exit 2
echo "$res"
case $res in
*" 0 failed"*)	exit 0 ;;
*)		exit 1 ;;
esac
