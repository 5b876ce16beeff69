/*
 * vdso.c - does the vDSO the kernel mapped into this process offer
 * clock_gettime?  (See kit-internal.h.)
 *
 * time.vdso judges the clocksource by how much cheaper clock_gettime is
 * through libc than through the system call.  That only means something
 * where the kernel's vDSO has a clock_gettime for libc to call: x86_64
 * from 2.6.23 (RHEL 5's 2.6.18 maps no 64-bit vDSO at all), i386 from
 * 3.15 (vdso(7): __vdso_clock_gettime "exported since Linux 3.15"; before,
 * the 32-bit vDSO held only __kernel_vsyscall and the sigreturn stubs).
 *
 * The vDSO is a small ELF shared object whose address the kernel passes
 * in the auxiliary vector (AT_SYSINFO_EHDR, getauxval(3)).  Its dynamic
 * section leads to the symbol table, whose size the SysV hash table's
 * second word gives (the kernel links its vDSOs with a DT_HASH table;
 * without one the answer is "cannot tell").  Nothing is written and no
 * symbol is called.
 */
#include <elf.h>
#include <link.h>
#include <sys/auxv.h>

#include "kit/kit-internal.h"
#include "util/cv.h"

/* clock_gettime in the vDSOs of x86 (both widths), arm, arm64, ppc, s390. */
static const char *const clock_gettime_names[] = {
	"__vdso_clock_gettime",
	"__vdso_clock_gettime64",
	"__kernel_clock_gettime",
	"__kernel_clock_gettime64",
};

static bool is_clock_gettime(const char *name)
{
	for (size_t i = 0; i < CV_ELEMENTSOF(clock_gettime_names); i++)
		if (strcmp(name, clock_gettime_names[i]) == 0)
			return true;
	return false;
}

int kit_vdso_clock_gettime(void)
{
	uintptr_t base = (uintptr_t)getauxval(AT_SYSINFO_EHDR), bias = 0;
	const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)base;
	const ElfW(Phdr) *ph;
	const ElfW(Dyn) *dyn = NULL;
	const ElfW(Sym) *symtab = NULL;
	const Elf32_Word *hash = NULL; /* DT_HASH words are 32 bits on every ELF class Linux uses but s390x/alpha */
	const char *strtab = NULL;
	bool loaded = false;

	if (!base)
		return -ENOENT;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return -EPROTO;
	ph = (const ElfW(Phdr) *)(base + eh->e_phoff);
	for (size_t i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && !loaded) {
			/* Where the vDSO's addresses (d_ptr, st_value) land. */
			bias = base + ph[i].p_offset - ph[i].p_vaddr;
			loaded = true;
		} else if (ph[i].p_type == PT_DYNAMIC) {
			dyn = (const ElfW(Dyn) *)(base + ph[i].p_offset);
		}
	}
	if (!loaded || !dyn)
		return -EPROTO;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		if (dyn->d_tag == DT_STRTAB)
			strtab = (const char *)(bias + dyn->d_un.d_ptr);
		else if (dyn->d_tag == DT_SYMTAB)
			symtab = (const ElfW(Sym) *)(bias + dyn->d_un.d_ptr);
		else if (dyn->d_tag == DT_HASH)
			hash = (const Elf32_Word *)(bias + dyn->d_un.d_ptr);
	}
	if (!strtab || !symtab || !hash)
		return -EPROTO;
	/* hash[1] is nchain, the number of symbols; a vDSO has a few dozen. */
	for (Elf32_Word i = 0; i < hash[1] && i < 4096; i++) {
		const ElfW(Sym) *s = &symtab[i];

		if (s->st_shndx == SHN_UNDEF || (s->st_info & 0xf) != STT_FUNC)
			continue;
		if (is_clock_gettime(strtab + s->st_name))
			return 1;
	}
	return 0;
}
