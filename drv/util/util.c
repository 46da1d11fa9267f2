/*
 * util.c - freestanding helpers: byte copies, a small formatter, logging.
 */
#include "util/util.h"
#include "vscsi/errors.h"

void vs_memcpy(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	while (n--)
		*d++ = *s++;
}

/* Lets a byte buffer be stored to a word at a time without breaking the
 * aliasing rules. */
typedef uint64_t __attribute__((may_alias)) vs_word;

void vs_memset(void *dst, int c, size_t n)
{
	uint8_t *d = dst;
	/* Aligned 8-byte stores for all but the ends: every command clears its
	 * ~160 bytes of headers, and under emulation each store is an
	 * instruction executed. */
	if (n >= 16) {
		vs_word w = 0x0101010101010101ull * (uint8_t)c;
		for (; (uintptr_t)d & 7; n--)
			*d++ = (uint8_t)c;
		for (; n >= 8; n -= 8, d += 8)
			*(vs_word *)d = w;
	}
	while (n--)
		*d++ = (uint8_t)c;
}

int vs_memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}

size_t vs_strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

char *vs_strlcpy(char *dst, const char *src, size_t n)
{
	size_t i = 0;
	if (!n)
		return dst;
	for (; i + 1 < n && src[i]; i++)
		dst[i] = src[i];
	dst[i] = 0;
	return dst;
}

struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_num(struct out *o, unsigned long long v, unsigned base, bool upper,
		    bool neg, int width, bool zero, bool left)
{
	char tmp[24];
	int n = 0;
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	int len = n + (neg ? 1 : 0);
	if (!left && !zero)
		for (; width > len; width--)
			put(o, ' ');
	if (neg)
		put(o, '-');
	if (!left && zero)
		for (; width > len; width--)
			put(o, '0');
	while (n)
		put(o, tmp[--n]);
	if (left)
		for (; width > len; width--)
			put(o, ' ');
}

int vs_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt++;
		bool left = false, zero = false, alt = false;
		for (;; fmt++) {
			if (*fmt == '-')
				left = true;
			else if (*fmt == '0')
				zero = true;
			else if (*fmt == '#')
				alt = true;
			else
				break;
		}
		int width = 0, prec = -1;
		if (*fmt == '*') {
			width = va_arg(ap, int);
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		if (*fmt == '.') {
			fmt++;
			prec = 0;
			if (*fmt == '*') {
				prec = va_arg(ap, int);
				fmt++;
			}
			while (*fmt >= '0' && *fmt <= '9')
				prec = prec * 10 + (*fmt++ - '0');
		}
		int lng = 0; /* -2 hh, -1 h, 0 int, 1 long, 2 long long, 3 size_t */
		for (;; fmt++) {
			if (*fmt == 'h')
				lng = lng == -1 ? -2 : -1;
			else if (*fmt == 'l')
				lng = lng == 1 ? 2 : 1;
			else if (*fmt == 'z')
				lng = 3;
			else
				break;
		}
		unsigned long long u;
		long long s;
		switch (*fmt) {
		case 'd':
		case 'i':
			s = lng >= 2 ? va_arg(ap, long long) : lng == 1 ? va_arg(ap, long)
			    : lng == 3 ? (long long)va_arg(ap, size_t) : va_arg(ap, int);
			if (lng == -1)
				s = (short)s;
			else if (lng == -2)
				s = (signed char)s;
			put_num(&o, s < 0 ? 0ull - (unsigned long long)s : (unsigned long long)s,
				10, false, s < 0, width, zero, left);
			break;
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			u = lng == 2 ? va_arg(ap, unsigned long long) : lng == 1 ? va_arg(ap, unsigned long)
			    : lng == 3 ? va_arg(ap, size_t) : va_arg(ap, unsigned);
			if (lng == -1)
				u = (unsigned short)u;
			else if (lng == -2)
				u = (unsigned char)u;
			if (alt && (*fmt == 'x' || *fmt == 'X') && u) {
				put(&o, '0');
				put(&o, *fmt);
				width = width > 2 ? width - 2 : 0;
			}
			put_num(&o, u, *fmt == 'u' ? 10 : *fmt == 'o' ? 8 : 16, *fmt == 'X', false,
				width, zero, left);
			break;
		case 'p':
			put(&o, '0');
			put(&o, 'x');
			put_num(&o, (uintptr_t)va_arg(ap, void *), 16, false, false, 0, false, false);
			break;
		case 'c':
			put(&o, (char)va_arg(ap, int));
			break;
		case 's': {
			const char *str = va_arg(ap, const char *);
			if (!str)
				str = "(null)";
			int len = 0;
			while (str[len] && (prec < 0 || len < prec))
				len++;
			if (!left)
				for (int w = width; w > len; w--)
					put(&o, ' ');
			for (int i = 0; i < len; i++)
				put(&o, str[i]);
			if (left)
				for (int w = width; w > len; w--)
					put(&o, ' ');
			break;
		}
		case '%':
			put(&o, '%');
			break;
		case 0:
			fmt--;
			break;
		default:
			put(&o, '%');
			put(&o, *fmt);
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = 0;
	return (int)o.len;
}

int vs_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vs_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

void vs_log(const struct vscsi_glue *g, int level, const char *fmt, ...)
{
	if (!g || !g->log || level > g->log_level)
		return;
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	vs_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	g->log(g->ctx, level, line);
}

const char *vscsi_strerror(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case 0: return "success";
	case VSCSI_EPERM: return "EPERM: operation not permitted";
	case VSCSI_ENOENT: return "ENOENT: no such device";
	case VSCSI_EIO: return "EIO: I/O error";
	case VSCSI_ENXIO: return "ENXIO: no such target or LUN";
	case VSCSI_E2BIG: return "E2BIG: request too large for the device";
	case VSCSI_EAGAIN: return "EAGAIN: try again";
	case VSCSI_ENOMEM: return "ENOMEM: out of memory";
	case VSCSI_EFAULT: return "EFAULT: buffer not mappable for DMA";
	case VSCSI_EBUSY: return "EBUSY: device busy";
	case VSCSI_ENODEV: return "ENODEV: device gone";
	case VSCSI_EINVAL: return "EINVAL: invalid argument";
	case VSCSI_ENOSPC: return "ENOSPC: no space (queue full, or the device ran out of space)";
	case VSCSI_EROFS: return "EROFS: device is write-protected";
	case VSCSI_ERANGE: return "ERANGE: outside the device";
	case VSCSI_EBADE: return "EBADE: reservation conflict";
	case VSCSI_ENOSYS: return "ENOSYS: not supported";
	case VSCSI_EPROTO: return "EPROTO: device broke the virtio protocol";
	case VSCSI_EOVERFLOW: return "EOVERFLOW: data does not fit the buffer";
	case VSCSI_EOPNOTSUPP: return "EOPNOTSUPP: operation not supported";
	case VSCSI_ECONNRESET: return "ECONNRESET: cancelled by a reset";
	case VSCSI_ETIMEDOUT: return "ETIMEDOUT: timed out";
	case VSCSI_ECANCELED: return "ECANCELED: command aborted";
	case VSCSI_ENOMEDIUM: return "ENOMEDIUM: no medium";
	case VSCSI_EMEDIUMTYPE: return "EMEDIUMTYPE: wrong medium type";
	default: return "unknown error";
	}
}
