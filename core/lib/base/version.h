/* SPDX-License-Identifier: MIT */
/*
 * version.h - package version comparison, Debian style (dpkg's algorithm,
 * reimplemented: no C library offers it).
 *
 * A version is read as [epoch:]upstream[-revision]:
 *
 * - epoch: the leading decimal digits of the string when a ':' follows
 *   them; the epoch is then those digits, and the rest is what follows
 *   that first ':'. Otherwise there is no epoch, which counts as 0, and
 *   the whole string is the rest (so in "a:1" or ":1" the ':' belongs to
 *   the upstream part).
 * - revision: what follows the LAST '-' of the rest; upstream is what
 *   precedes it. Without a '-' the revision is empty, and an empty
 *   revision equals "0" ("1.0" == "1.0-0" == "1.0-").
 *
 * Two versions compare by epoch, numerically; then by upstream part; then
 * by revision. Upstream parts and revisions compare alike, from the left,
 * alternating a non-digit run and a digit run (either may be empty):
 *
 * - non-digit runs compare byte by byte, where '~' sorts before
 *   everything, even the end of the run; then comes the end of the run
 *   (which is where a digit run or the end of the part starts); then the
 *   letters A-Z and a-z in ASCII order; then every other byte by its
 *   value (so '+', '-', '.', ':', ' ' all sort after the letters):
 *   "1.0~rc1" < "1.0" < "1.0a" < "1.0+b1" < "1.0.1";
 * - digit runs compare as whole numbers of any length, never converted
 *   to an integer type (leading zeros ignored, then the longer run is the
 *   bigger number, then the first differing digit decides), and an empty
 *   digit run counts as 0: "1.0" == "1.00", "1.10" > "1.9",
 *   "1.99999999999999999999999" > "1.99999999999999999999998".
 *
 * Epochs compare the same way as digit runs, so epochs of any length
 * work: "2:0.1" > "1:9.9" > "9.9" == "0:9.9".
 *
 * For every version dpkg accepts, the result agrees with
 * `dpkg --compare-versions`. Strings dpkg refuses (spaces, as in
 * "2.4.1 beta", or ':' after a non-number) still compare
 * deterministically by the rules above; the comparison is a total
 * preorder on all strings (versions that compare equal may differ in
 * spelling, like "1.0" and "1.00").
 */
#ifndef SK_VERSION_H
#define SK_VERSION_H

/* -1, 0, 1 as a is older than, equal to, newer than b. Both must be
 * NUL-terminated; any bytes are allowed, none is an error. */
int sk_version_cmp(const char *a, const char *b);

#endif
