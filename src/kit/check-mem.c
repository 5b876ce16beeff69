/*
 * check-mem.c - mem.pattern: memory holds what is written; and the
 * decision every integrity check shares (kit_decide_mismatches).
 *
 * The check writes and verifies a bounded share of available memory with
 * the classic memtest patterns: all zeros, all ones, the two alternating
 * bit patterns (0xAA, 0x55), then a pattern where each 64-bit word holds
 * its own index XORed with a seed, which catches address-line faults
 * (two addresses landing on the same cell) that uniform patterns cannot.
 * A guest cannot test the host's RAM; what this catches is a hypervisor
 * that loses or mixes up guest pages (ballooning, page sharing, live
 * migration gone wrong).
 *
 * Portable: the memory is the system's own (kit_mem_available,
 * kit_mem_map: util-unix.c, win/util.c).
 */
#include "kit/kit-internal.h"
#include "util/cv.h"

#define MIB (1024ull * 1024)
#define QUICK_CAP (64 * MIB)
#define FULL_CAP (1024 * MIB)
#define FLOOR (1 * MIB)
#define WORD_SEED UINT64_C(0x9e3779b97f4a7c15)

static const uint8_t byte_patterns[] = { 0x00, 0xff, 0xaa, 0x55 };
#define PASSES (CV_ELEMENTSOF(byte_patterns) + 1)

/*
 * The compiler knows what memset() wrote and could answer the verify loop
 * from that knowledge without reading memory.  This barrier makes it
 * assume that memory may have changed, so every verify really loads.
 */
static void clobber(void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

/* Mismatching bytes after filling with b. */
static uint64_t byte_pass(uint8_t *area, size_t size, uint8_t b)
{
	const uint64_t want = UINT64_C(0x0101010101010101) * b;
	const uint64_t *w = (const uint64_t *)(void *)area;
	uint64_t bad = 0;

	memset(area, b, size);
	clobber(area);
	/* Compare by words (size is a multiple of 1 MiB); count the bytes
	 * only in the rare word that differs. */
	for (size_t i = 0; i < size / 8; i++)
		if (w[i] != want)
			for (size_t k = 0; k < 8; k++)
				bad += area[i * 8 + k] != b;
	return bad;
}

/* Mismatching words after writing each word's index XOR the seed. */
static uint64_t word_pass(uint8_t *area, size_t size)
{
	uint64_t *w = (uint64_t *)(void *)area, bad = 0;

	for (size_t i = 0; i < size / 8; i++)
		w[i] = (uint64_t)i ^ WORD_SEED;
	clobber(area);
	for (size_t i = 0; i < size / 8; i++)
		bad += w[i] != ((uint64_t)i ^ WORD_SEED);
	return bad;
}

void kit_check_mem_pattern(const struct kit_ctx *ctx, struct kit_out *out)
{
	uint64_t avail = kit_mem_available(), cap = ctx->opt->quick ? QUICK_CAP : FULL_CAP;
	uint64_t size = avail / 10 < cap ? avail / 10 : cap;
	uint64_t mismatches = 0, checked = 0;
	json_t *per_pass = json_array();
	uint8_t *area = NULL;
	struct kit_verdict v;
	double t0, elapsed;

	size = size / MIB * MIB;
	if (size < FLOOR)
		size = FLOOR;
	/* Where the system cannot give that much (overcommit limits, a
	 * cgroup, a job object), halve down to the floor. */
	for (;;) {
		area = kit_mem_map(size);
		if (area || size <= FLOOR)
			break;
		size = size / 2 / MIB * MIB;
		if (size < FLOOR)
			size = FLOOR;
	}
	if (!area) {
		kit_set(out, KIT_ERROR, "cannot map %llu bytes", (unsigned long long)size);
		goto out;
	}

	t0 = kit_now();
	for (size_t i = 0; i < CV_ELEMENTSOF(byte_patterns); i++) {
		uint64_t bad = byte_pass(area, size, byte_patterns[i]);

		json_array_append_new(per_pass, json_integer((json_int_t)bad));
		mismatches += bad;
		checked += size;
	}
	{
		uint64_t bad = word_pass(area, size);

		json_array_append_new(per_pass, json_integer((json_int_t)bad));
		mismatches += bad;
		checked += size / 8;
	}
	elapsed = kit_now() - t0;

	json_object_set_new(out->measured, "bytes", json_integer((json_int_t)size));
	json_object_set_new(out->measured, "mem_available_bytes", json_integer((json_int_t)avail));
	json_object_set_new(out->measured, "passes", json_integer((json_int_t)PASSES));
	json_object_set_new(out->measured, "patterns", json_string("0x00 0xff 0xaa 0x55 index^seed"));
	json_object_set_new(out->measured, "mismatches_per_pass", per_pass);
	per_pass = NULL;
	json_object_set_new(out->measured, "checked", json_integer((json_int_t)checked));
	json_object_set_new(out->measured, "mismatches", json_integer((json_int_t)mismatches));
	/* Each pass writes the area once and reads it once. */
	json_object_set_new(out->measured, "mb_per_s",
			    json_real(kit_round(elapsed > 0 ? 2.0 * PASSES * (double)size / 1e6 / elapsed : 0)));
	json_object_set_new(out->threshold, "mismatches", json_integer(0));
	json_object_set_new(out->threshold, "share_of_available", json_real(0.1));
	json_object_set_new(out->threshold, "cap_bytes", json_integer((json_int_t)cap));
	kit_decide_mismatches(mismatches, checked, "memory bytes and words", &v);
	kit_apply(out, &v);
out:
	json_decref(per_pass);
	if (area)
		kit_mem_unmap(area, size);
}
