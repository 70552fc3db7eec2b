// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Multiboot (v1) loader: an ELF kernel with PT_LOAD segments (ELF32, as
 * the specification asks; ELF64 accepted too), a Multiboot header in its
 * first 8 KiB, entered in 32-bit protected mode with EBX pointing to the
 * Multiboot information: mem_lower/mem_upper, the command line and one
 * module (the KEY=VALUE configuration text).
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

#include "vmm.h"

#define MB_MAGIC 0x1BADB002U
#define MB_BOOT_MAGIC 0x2BADB002U
#define MB_F_AOUT_KLUDGE (1U << 16)
#define MB_SEARCH 8192

/* Low-memory layout of what the loader writes. */
#define MBI_GPA 0x1000
#define MODS_GPA 0x1100
#define CMDLINE_GPA 0x1200
#define CMDLINE_MAX 0x0e00
#define LOW_END 0x7000 /* below the AP trampoline page (0x8000) */

struct mb_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
};

struct mb_module {
	uint32_t mod_start, mod_end, string, reserved;
};

static int lerr(const char *path, const char *msg)
{
	fprintf(stderr, "vapic-vmm: %s: %s\n", path, msg);
	return -EINVAL;
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *buf;

	if (!f) {
		fprintf(stderr, "vapic-vmm: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) || st.st_size <= 0 ||
	    st.st_size > (1 << 28)) {
		fprintf(stderr, "vapic-vmm: %s: not a usable file\n", path);
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)st.st_size);
	if (!buf ||
	    fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		fprintf(stderr, "vapic-vmm: %s: read failed\n", path);
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = (size_t)st.st_size;
	return buf;
}

struct seg {
	uint64_t paddr, filesz, memsz, off;
};

static int load_segment(struct vmm *vm, const char *path, const uint8_t *img,
			size_t len, const struct seg *s, uint64_t *end)
{
	if (!s->memsz)
		return 0;
	if (s->filesz > s->memsz || s->off > len || s->filesz > len - s->off)
		return lerr(path, "PT_LOAD segment outside the file");
	if (s->paddr < 0x100000 || s->paddr >= vm->ram_size ||
	    s->memsz > vm->ram_size - s->paddr)
		return lerr(path, "PT_LOAD segment outside guest RAM "
				  "(must be at or above 1 MiB)");
	memcpy(vm->ram + s->paddr, img + s->off, s->filesz);
	memset(vm->ram + s->paddr + s->filesz, 0, s->memsz - s->filesz);
	if (s->paddr + s->memsz > *end)
		*end = s->paddr + s->memsz;
	return 0;
}

static int load_elf(struct vmm *vm, const char *path, const uint8_t *img,
		    size_t len, uint64_t *end)
{
	bool is64;
	uint64_t phoff, entry;
	size_t phsz;
	unsigned int i, phnum;
	int r;

	if (len < EI_NIDENT || memcmp(img, ELFMAG, SELFMAG))
		return lerr(path, "not an ELF file");
	if (img[EI_CLASS] != ELFCLASS32 && img[EI_CLASS] != ELFCLASS64)
		return lerr(path, "unknown ELF class");
	is64 = img[EI_CLASS] == ELFCLASS64;
	if (is64) {
		const Elf64_Ehdr *eh = (const void *)img;

		if (len < sizeof(*eh) || eh->e_machine != EM_X86_64 ||
		    eh->e_phentsize != sizeof(Elf64_Phdr))
			return lerr(path, "bad ELF64 header");
		phoff = eh->e_phoff;
		phnum = eh->e_phnum;
		entry = eh->e_entry;
		phsz = sizeof(Elf64_Phdr);
	} else {
		const Elf32_Ehdr *eh = (const void *)img;

		if (len < sizeof(*eh) || eh->e_machine != EM_386 ||
		    eh->e_phentsize != sizeof(Elf32_Phdr))
			return lerr(path, "bad ELF32 header");
		phoff = eh->e_phoff;
		phnum = eh->e_phnum;
		entry = eh->e_entry;
		phsz = sizeof(Elf32_Phdr);
	}
	if (phoff > len || (size_t)phnum * phsz > len - phoff)
		return lerr(path, is64 ? "bad ELF64 header" :
					 "bad ELF32 header");
	if (entry >> 32)
		return lerr(path, "entry point above 4 GiB");
	for (i = 0; i < phnum; i++) {
		const uint8_t *p = img + phoff + (size_t)i * phsz;
		struct seg s;
		uint32_t type;

		if (is64) {
			const Elf64_Phdr *ph = (const void *)p;

			type = ph->p_type;
			s = (struct seg){ ph->p_paddr, ph->p_filesz,
					  ph->p_memsz, ph->p_offset };
		} else {
			const Elf32_Phdr *ph = (const void *)p;

			type = ph->p_type;
			s = (struct seg){ ph->p_paddr, ph->p_filesz,
					  ph->p_memsz, ph->p_offset };
		}
		if (type != PT_LOAD)
			continue;
		r = load_segment(vm, path, img, len, &s, end);
		if (r)
			return r;
	}
	vm->entry = entry;
	if (!*end)
		return lerr(path, "no PT_LOAD segments");
	return 0;
}

/* Find and validate the Multiboot header in the first 8 KiB. */
static int check_header(const char *path, const uint8_t *img, size_t len)
{
	size_t off;

	for (off = 0; off + 12 <= len && off < MB_SEARCH; off += 4) {
		uint32_t h[3];

		memcpy(h, img + off, sizeof(h));
		if (h[0] != MB_MAGIC)
			continue;
		if ((uint32_t)(h[0] + h[1] + h[2]) != 0)
			return lerr(path, "Multiboot header checksum is wrong");
		if (h[1] & MB_F_AOUT_KLUDGE)
			return lerr(path, "Multiboot a.out kludge (flag 16) "
					  "is not supported: use ELF");
		if (h[1] & 0xfffc)
			return lerr(path, "Multiboot header requests features "
					  "this loader lacks");
		return 0;
	}
	return lerr(path, "no Multiboot (v1) header in the first 8 KiB");
}

int load_multiboot(struct vmm *vm)
{
	const char *path = vm->opt.kernel;
	struct mb_info *mbi = (void *)(vm->ram + MBI_GPA);
	struct mb_module *mod = (void *)(vm->ram + MODS_GPA);
	uint64_t end = 0, mod_gpa;
	size_t len, cl;
	uint8_t *img;
	int r;

	img = read_file(path, &len);
	if (!img)
		return -ENOENT;
	r = check_header(path, img, len);
	if (!r)
		r = load_elf(vm, path, img, len, &end);
	free(img);
	if (r)
		return r;

	/* The module (configuration text), page-aligned after the kernel. */
	mod_gpa = (end + 4095) & ~4095ULL;
	if (mod_gpa + vm->opt.module_len + 1 > vm->ram_size)
		return lerr(path, "no room for the module");
	memcpy(vm->ram + mod_gpa, vm->opt.module_text, vm->opt.module_len);
	vm->ram[mod_gpa + vm->opt.module_len] = 0;

	memset(mbi, 0, sizeof(*mbi));
	mbi->flags = (1U << 0) | (1U << 2) | (1U << 3); /* mem, cmdline, mods */
	mbi->mem_lower = 639;
	mbi->mem_upper = (uint32_t)((vm->ram_size - 0x100000) / 1024);
	cl = strlen(vm->opt.cmdline);
	if (cl >= CMDLINE_MAX)
		cl = CMDLINE_MAX - 1;
	memcpy(vm->ram + CMDLINE_GPA, vm->opt.cmdline, cl);
	vm->ram[CMDLINE_GPA + cl] = 0;
	mbi->cmdline = CMDLINE_GPA;
	mbi->mods_count = 1;
	mbi->mods_addr = MODS_GPA;
	mod->mod_start = (uint32_t)mod_gpa;
	mod->mod_end = (uint32_t)(mod_gpa + vm->opt.module_len);
	mod->string = CMDLINE_GPA + (uint32_t)cl; /* "" */
	mod->reserved = 0;
	vm->mbi_gpa = MBI_GPA;
	_Static_assert(CMDLINE_GPA + CMDLINE_MAX <= LOW_END, "low layout");
	return 0;
}
