/*
 * fuzz-descriptor-stream.c - libFuzzer differential target: the streaming
 * descriptor reader (descriptor_parse()) against the jansson tree reader it
 * replaced (descriptor_from_json_tree()).
 *
 * Input: one byte of flags (bit 0 DESCRIPTOR_PARSE_STRICT, bit 1
 * DESCRIPTOR_PARSE_NO_EVIDENCE, bit 2 DESCRIPTOR_PARSE_MATCH_ONLY, bit 3
 * DESCRIPTOR_PARSE_ANSWER), then
 * the text.  Both must accept with the
 * same descriptor (descriptor_to_json() equal), or both reject with the
 * same message (for a fault in the JSON itself both say "invalid JSON at");
 * anything else aborts.  The reference is given the text with each NUL
 * byte replaced by 0x01: jansson 2.14 skips one NUL after a number or a
 * literal, which the streaming reader deliberately rejects
 * (util/json-pull.h), and rejects 0x01 wherever the NUL stood.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "covalid/descriptor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void differ(const char *what, const char *a, const char *b)
{
	fprintf(stderr, "fuzz-descriptor-stream: %s\n  tree:   %s\n  stream: %s\n", what, a ? a : "(none)",
		b ? b : "(none)");
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct descriptor *a = NULL, *b = NULL;
	char *ea = NULL, *eb = NULL, *ref;
	unsigned flags;
	const char *text;
	int ra, rb;

	if (size < 1)
		return 0;
	flags = data[0] & (DESCRIPTOR_PARSE_STRICT | DESCRIPTOR_PARSE_NO_EVIDENCE | DESCRIPTOR_PARSE_MATCH_ONLY |
			   DESCRIPTOR_PARSE_ANSWER);
	text = (const char *)data + 1;
	size--;
	ref = malloc(size + 1);
	if (!ref)
		abort();
	memcpy(ref, text, size);
	for (size_t i = 0; i < size; i++)
		if (ref[i] == '\0')
			ref[i] = '\x01';
	ra = descriptor_from_json_tree(ref, size, flags, &a, &ea);
	rb = descriptor_parse(text, size, flags, &b, &eb);
	if (ra != rb)
		differ("one accepts, the other rejects", ra ? ea : "accepted", rb ? eb : "accepted");
	if (ra == 0) {
		char *ja = descriptor_to_json(a, false), *jb = descriptor_to_json(b, false);

		if (strcmp(ja, jb) != 0)
			differ("different descriptors", ja, jb);
		free(ja);
		free(jb);
	} else if (!ea || !eb) {
		differ("an error without a message", ea, eb);
	} else if (strncmp(ea, "invalid JSON at ", 16) == 0 ? strncmp(eb, "invalid JSON at ", 16) != 0
							     : strcmp(ea, eb) != 0) {
		differ("different messages", ea, eb);
	}
	descriptor_free(a);
	descriptor_free(b);
	free(ea);
	free(eb);
	free(ref);
	return 0;
}
