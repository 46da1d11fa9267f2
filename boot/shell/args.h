/*
 * args.h - reading numbers from command arguments.  One parser, told which
 * syntax to accept, so each tool keeps its namesake's: the shell's own
 * commands take C's (strtoull base 0) plus k/M/G, dd takes coreutils'
 * suffixes and products, the sg_* tools take sg3_utils' hex and
 * multipliers.
 */
#ifndef VSCSI_BOOT_SHELL_ARGS_H
#define VSCSI_BOOT_SHELL_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A multiplier suffix: "k" 1024, "kB" 1000, "b" 512 ... */
struct number_suffix {
	const char *text;
	uint64_t multiplier;
};

struct number_syntax {
	bool hex;            /* digits are hexadecimal even without a prefix */
	bool hex_0x;         /* "0x1f" / "0X1f" is hexadecimal */
	bool hex_h;          /* "1fh" / "1fH" is hexadecimal (no 0x with it) */
	bool octal_0;        /* "017" is octal, as C reads it */
	bool hex_scaled;     /* suffixes apply to hexadecimal numbers too */
	bool products;       /* "2x512": factors joined by 'x', multiplied */
	/* Tried in order after the digits; the first that the rest of the
	 * word starts with is taken (so list "KiB" before "K"). */
	const struct number_suffix *suffixes;
	size_t n_suffixes;
};

/* `s` as a whole word in that syntax; false (and *out untouched) when it
 * is not one, or the value does not fit in 64 bits. */
bool parse_number(const char *s, const struct number_syntax *syntax, uint64_t *out);
/* The value of a digit in bases up to 16 ('7' -> 7, 'b' and 'B' -> 11);
 * 99 for anything else, so `digit_value(c) < base` tests a digit. */
int digit_value(char c);

/* The syntax of the shell's own commands (poweroff, hexdump, rescan, tmf,
 * an, bench): decimal, 0x hex or 0 octal, then optionally k/K, M or G
 * (binary).  Prints "CMD: invalid number 'S'" when `s` is not one. */
extern const struct number_syntax shell_number_syntax;
bool shell_parse_u64(const char *cmd, const char *s, unsigned long long *out);

#endif
