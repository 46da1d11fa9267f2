/*
 * args.c - the one number parser of the shell and its tools, and the
 * shell's own number syntax.
 */
#include <stdio.h>
#include <string.h>

#include "shell/args.h"

int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

/* Digits of `base` from *s on, at least one; false on none or overflow. */
static bool parse_digits(const char **s, unsigned base, uint64_t *out)
{
	const char *p = *s;
	uint64_t v = 0;
	for (; digit_value(*p) < (int)base; p++) {
		unsigned d = (unsigned)digit_value(*p);
		if (v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	if (p == *s)
		return false;
	*s = p;
	*out = v;
	return true;
}

/* Which base the factor at `s` is written in, and where its digits start.
 * A trailing h marks hex only when it ends the word (*hex_h_end). */
static unsigned factor_base(const char **s, const struct number_syntax *syn, bool *hex_h_end)
{
	const char *p = *s;
	size_t n = strlen(p);
	*hex_h_end = false;
	if (syn->hex_0x && n > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		*s = p + 2;
		return 16;
	}
	if (syn->hex_h && n > 1 && (p[n - 1] == 'h' || p[n - 1] == 'H')) {
		*hex_h_end = true;
		return 16;
	}
	if (syn->hex)
		return 16;
	if (syn->octal_0 && p[0] == '0')
		return 8;
	return 10;
}

/* One factor: digits and an optional suffix; *s moves past it. */
static bool parse_factor(const char **s, const struct number_syntax *syn, uint64_t *out)
{
	bool hex_h_end;
	unsigned base = factor_base(s, syn, &hex_h_end);
	uint64_t v;
	if (!parse_digits(s, base, &v))
		return false;
	if (hex_h_end) {
		if ((**s != 'h' && **s != 'H') || (*s)[1])
			return false;
		(*s)++;
	}
	uint64_t mul = 1;
	if (base != 16 || syn->hex_scaled) {
		for (size_t i = 0; i < syn->n_suffixes; i++) {
			size_t l = strlen(syn->suffixes[i].text);
			if (!strncmp(*s, syn->suffixes[i].text, l)) {
				mul = syn->suffixes[i].multiplier;
				*s += l;
				break;
			}
		}
	}
	if (v && mul > UINT64_MAX / v)
		return false;
	*out = v * mul;
	return true;
}

bool parse_number(const char *s, const struct number_syntax *syntax, uint64_t *out)
{
	uint64_t total = 1;
	for (;;) {
		uint64_t v;
		if (!parse_factor(&s, syntax, &v))
			return false;
		if (v && total > UINT64_MAX / v)
			return false;
		total *= v;
		if (!*s)
			break;
		if (!syntax->products || *s++ != 'x')
			return false;
	}
	*out = total;
	return true;
}

static const struct number_suffix shell_suffixes[] = {
	{ "k", 1ull << 10 }, { "K", 1ull << 10 }, { "M", 1ull << 20 }, { "G", 1ull << 30 },
};

const struct number_syntax shell_number_syntax = {
	.hex_0x = true,
	.octal_0 = true,
	.hex_scaled = true,
	.suffixes = shell_suffixes,
	.n_suffixes = sizeof shell_suffixes / sizeof shell_suffixes[0],
};

bool shell_parse_u64(const char *cmd, const char *s, unsigned long long *out)
{
	uint64_t v;
	if (!parse_number(s, &shell_number_syntax, &v)) {
		printf("%s: invalid number '%s'\n", cmd, s);
		return false;
	}
	*out = v;
	return true;
}
