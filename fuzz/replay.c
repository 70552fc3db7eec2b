// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Replay driver: runs a fuzz target's LLVMFuzzerTestOneInput() on every
 * corpus input given on the command line (files, or directories whose
 * regular files are taken in name order), each in a child process, and
 * prints TAP: one case per input, "not ok" when the target aborted or
 * crashed (an invariant violation, a sanitizer report).  This is how the
 * corpora run as the 'fuzz' test suite in every build, gcc included, with no
 * fuzzing engine.
 *
 * Inputs named *.hex are text: pairs of hex digits, whitespace ignored,
 * '#' starts a comment to the end of the line (the reviewable form the
 * repository keeps).  Any other file is raw bytes (what libFuzzer writes).
 *
 * usage: replay [-n] CORPUS_DIR_OR_FILE...
 *   -n	run in-process, no fork (for a debugger); stops at the first crash.
 * Environment: target-specific, e.g. FUZZ_TIMER_TRACE=1.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"

#pragma weak fuzz_summary

#define MAX_INPUT (1U << 20)

struct input {
	char *path;
	char *name;
};

static struct input *inputs;
static size_t nr_inputs, cap_inputs;

static void add_input(const char *path, const char *name)
{
	if (nr_inputs == cap_inputs) {
		cap_inputs = cap_inputs ? 2 * cap_inputs : 64;
		inputs = realloc(inputs, cap_inputs * sizeof(*inputs));
		if (!inputs) {
			perror("replay");
			exit(2);
		}
	}
	inputs[nr_inputs].path = strdup(path);
	inputs[nr_inputs].name = strdup(name);
	if (!inputs[nr_inputs].path || !inputs[nr_inputs].name) {
		perror("replay");
		exit(2);
	}
	nr_inputs++;
}

static int cmp_input(const void *a, const void *b)
{
	return strcmp(((const struct input *)a)->path,
		      ((const struct input *)b)->path);
}

static void collect(const char *arg)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	size_t first = nr_inputs;

	if (stat(arg, &st)) {
		fprintf(stderr, "replay: %s: %s\n", arg, strerror(errno));
		exit(2);
	}
	if (!S_ISDIR(st.st_mode)) {
		const char *slash = strrchr(arg, '/');

		add_input(arg, slash ? slash + 1 : arg);
		return;
	}
	d = opendir(arg);
	if (!d) {
		fprintf(stderr, "replay: %s: %s\n", arg, strerror(errno));
		exit(2);
	}
	while ((de = readdir(d))) {
		char path[4096];

		if (de->d_name[0] == '.' || !strcmp(de->d_name, "README"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", arg, de->d_name);
		if (stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		add_input(path, de->d_name);
	}
	closedir(d);
	qsort(inputs + first, nr_inputs - first, sizeof(*inputs), cmp_input);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode hex text in place; returns the byte count or -1 (bad text). */
static long decode_hex(uint8_t *buf, size_t len)
{
	size_t i, o = 0;
	int hi = -1;

	for (i = 0; i < len; i++) {
		int c = buf[i], v;

		if (c == '#') {
			while (i < len && buf[i] != '\n')
				i++;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		v = hexval(c);
		if (v < 0)
			return -1;
		if (hi < 0) {
			hi = v;
		} else {
			buf[o++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return hi < 0 ? (long)o : -1;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

/* Read an input; NULL and a message on error. */
static uint8_t *load(const struct input *in, size_t *len, const char **why)
{
	FILE *f = fopen(in->path, "rb");
	uint8_t *buf;
	size_t n;

	if (!f) {
		*why = strerror(errno);
		return NULL;
	}
	buf = malloc(MAX_INPUT + 1);
	if (!buf) {
		fclose(f);
		*why = "out of memory";
		return NULL;
	}
	n = fread(buf, 1, MAX_INPUT + 1, f);
	fclose(f);
	if (n > MAX_INPUT) {
		free(buf);
		*why = "input larger than 1 MiB";
		return NULL;
	}
	if (ends_with(in->name, ".hex")) {
		long r = decode_hex(buf, n);

		if (r < 0) {
			free(buf);
			*why = "malformed hex text";
			return NULL;
		}
		n = (size_t)r;
	}
	*len = n;
	return buf;
}

static void run_one(const uint8_t *data, size_t len)
{
	char summary[512];

	LLVMFuzzerTestOneInput(data, len);
	if (fuzz_summary) {
		summary[0] = '\0';
		fuzz_summary(summary, sizeof(summary));
		printf("# %s\n", summary);
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	bool nofork = false;
	unsigned int failed = 0;
	size_t k;
	int a = 1;

	if (a < argc && !strcmp(argv[a], "-n")) {
		nofork = true;
		a++;
	}
	if (a >= argc) {
		fprintf(stderr, "usage: %s [-n] CORPUS_DIR_OR_FILE...\n",
			argv[0]);
		return 2;
	}
	for (; a < argc; a++)
		collect(argv[a]);
	if (!nr_inputs) {
		printf("1..1\nnot ok 1 - no corpus inputs found\n");
		return 1;
	}
	printf("1..%zu\n", nr_inputs);
	fflush(stdout);
	for (k = 0; k < nr_inputs; k++) {
		const char *why = NULL;
		size_t len = 0;
		uint8_t *data = load(&inputs[k], &len, &why);
		int status = 0;
		pid_t pid;

		if (!data) {
			printf("not ok %zu - %s (%s)\n", k + 1, inputs[k].name,
			       why);
			failed++;
			continue;
		}
		if (nofork) {
			run_one(data, len);
			printf("ok %zu - %s\n", k + 1, inputs[k].name);
			free(data);
			continue;
		}
		fflush(stdout);
		pid = fork();
		if (pid < 0) {
			perror("replay: fork");
			return 2;
		}
		if (!pid) {
			run_one(data, len);
			_exit(0);
		}
		free(data);
		if (waitpid(pid, &status, 0) < 0) {
			perror("replay: waitpid");
			return 2;
		}
		if (WIFEXITED(status) && !WEXITSTATUS(status)) {
			printf("ok %zu - %s\n", k + 1, inputs[k].name);
		} else {
			failed++;
			if (WIFSIGNALED(status))
				printf("not ok %zu - %s (killed by signal "
				       "%d)\n",
				       k + 1, inputs[k].name, WTERMSIG(status));
			else
				printf("not ok %zu - %s (exit status %d)\n",
				       k + 1, inputs[k].name,
				       WEXITSTATUS(status));
		}
		fflush(stdout);
	}
	for (k = 0; k < nr_inputs; k++) {
		free(inputs[k].path);
		free(inputs[k].name);
	}
	free(inputs);
	return failed ? 1 : 0;
}
