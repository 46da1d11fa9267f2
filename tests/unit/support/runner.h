/*
 * runner.h - the main() of every unit test binary.
 *
 *   return vs_run_tests(tests, argc, argv);   instead of cmocka_run_group_tests()
 *
 * Without arguments it runs every test, as cmocka does.  tests/test_unit.py
 * runs each test case in a process of its own, so that one failure (an
 * assertion, a sanitizer abort, a hang) costs only that case and is
 * reported at once:
 *
 *   binary --list          the case names, one a line, and exit 0
 *   binary --run NAME      only the case called NAME
 *
 * Header only: the support sources are linked into the fuzzers too, which
 * do not link cmocka.
 */
#ifndef VSCSI_TESTS_RUNNER_H
#define VSCSI_TESTS_RUNNER_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

static inline int vs_test_main(const char *group, const struct CMUnitTest *tests, size_t n,
			       int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--list") == 0) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", tests[i].name);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "--run") == 0) {
		size_t i = 0;
		while (i < n && strcmp(tests[i].name, argv[2]) != 0)
			i++;
		if (i == n) {
			fprintf(stderr, "%s: no test case called %s\n", argv[0], argv[2]);
			return 2;
		}
		/* The exact name matches only itself: cmocka's patterns know
		 * the wildcards * and ?, which no test name contains. */
		cmocka_set_test_filter(argv[2]);
	} else if (argc != 1) {
		fprintf(stderr, "usage: %s [--list | --run NAME]\n", argv[0]);
		return 2;
	}
	return _cmocka_run_group_tests(group, tests, n, NULL, NULL);
}

#define vs_run_tests(tests, argc, argv) \
	vs_test_main(#tests, (tests), sizeof(tests) / sizeof((tests)[0]), (argc), (argv))

#endif
