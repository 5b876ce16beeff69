/*
 * smbios.c - the raw SMBIOS decoder (see smbios.h).
 *
 * Every read is checked against the end of the buffer before it happens;
 * a problem ends the walk with a note rather than guessing where the next
 * structure starts, because after a bad length every later offset is
 * garbage.  The first structure of each type wins, as in Linux's
 * dmi_save_ident() (drivers/firmware/dmi_scan.c).
 */
#include "probe/smbios.h"
#include "util/cv.h"

void smbios_info_init(struct smbios_info *s)
{
	*s = (struct smbios_info){ 0 };
	cv_strv_init(&s->notes);
}

void smbios_info_release(struct smbios_info *s)
{
	free(s->bios_vendor);
	free(s->bios_version);
	free(s->sys_vendor);
	free(s->product_name);
	free(s->product_version);
	free(s->product_uuid);
	free(s->board_vendor);
	free(s->chassis_asset_tag);
	cv_strv_release(&s->notes);
	smbios_info_init(s);
}

static void note(struct smbios_info *s, const char *fmt, ...) CV_PRINTF(2, 3);
static void note(struct smbios_info *s, const char *fmt, ...)
{
	va_list ap;
	char *m = NULL;

	va_start(ap, fmt);
	if (vasprintf(&m, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (!cv_strv_contains(&s->notes, m))
		cv_strv_push_take(&s->notes, m);
	else
		free(m);
}

/* One structure: its formatted area and its string set, both inside the buffer. */
struct smbios_struct {
	uint8_t type, len;
	uint16_t handle;
	const unsigned char *data;    /* formatted area, len bytes */
	const unsigned char *strings; /* first string */
	size_t strings_len;           /* up to and excluding the final double NUL */
};

/*
 * String number n (1-based) of the set, stripped and made printable; NULL
 * for 0 ("none"), a number past the set (noted) or an empty string, as
 * Linux's sysfs shows nothing for them.
 */
static char *struct_string(struct smbios_info *s, const struct smbios_struct *st, uint8_t n, const char *field)
{
	const unsigned char *p = st->strings, *end = st->strings + st->strings_len;
	char *v;
	size_t len;

	if (n == 0)
		return NULL;
	for (uint8_t i = 1; i < n; i++) {
		const unsigned char *z = memchr(p, '\0', (size_t)(end - p));

		if (!z || z + 1 >= end) {
			note(s, "type %u %s: string %u of a set of %u; ignored", st->type, field, n, i);
			return NULL;
		}
		p = z + 1;
	}
	if (p >= end) {
		note(s, "type %u %s: string %u past the string set; ignored", st->type, field, n);
		return NULL;
	}
	{
		const unsigned char *z = memchr(p, '\0', (size_t)(end - p));

		len = z ? (size_t)(z - p) : (size_t)(end - p);
	}
	if (len > SMBIOS_STRING_MAX) {
		note(s, "type %u %s: string longer than %d bytes, cut", st->type, field, SMBIOS_STRING_MAX);
		len = SMBIOS_STRING_MAX;
	}
	if (!cv_str_is_clean_utf8((const char *)p, len)) {
		note(s, "type %u %s: not text; non-printable bytes replaced", st->type, field);
		v = cv_str_sanitize((const char *)p, len, SMBIOS_STRING_MAX);
	} else
		v = cv_xstrndup((const char *)p, len);
	cv_strstrip(v);
	if (!*v) {
		free(v);
		return NULL;
	}
	return v;
}

/* Sets *slot to string at offset off of the formatted area, once. */
static void take_string(struct smbios_info *s, const struct smbios_struct *st, size_t off, char **slot,
			const char *field)
{
	if (*slot || off >= st->len)
		return;
	*slot = struct_string(s, st, st->data[off], field);
}

/*
 * Type 1 offset 08h, SMBIOS 2.1+.  From 2.6 the first three fields are
 * little-endian (DSP0134 7.2.1); before, Linux prints the bytes in order
 * (dmi_save_uuid(): %pUl from 2.6, %pUb before).  All 0xFF means "not
 * present", all 0x00 "not set": both give no UUID, as in Linux.
 */
static char *uuid_string(const unsigned char *u, bool le)
{
	bool ff = true, zero = true;

	for (size_t i = 0; i < 16; i++) {
		ff = ff && u[i] == 0xff;
		zero = zero && u[i] == 0x00;
	}
	if (ff || zero)
		return NULL;
	if (le)
		return cv_xasprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[3], u[2],
				    u[1], u[0], u[5], u[4], u[7], u[6], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
				    u[15]);
	return cv_xasprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2],
			    u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

static void decode_struct(struct smbios_info *s, const struct smbios_struct *st, bool *seen)
{
	if (st->type > 3 || seen[st->type])
		return;
	seen[st->type] = true;
	switch (st->type) {
	case 0:
		take_string(s, st, 0x04, &s->bios_vendor, "vendor");
		take_string(s, st, 0x05, &s->bios_version, "version");
		/* BIOS Characteristics Extension Byte 2 (2.4+), bit 4. */
		if (st->len > 0x13) {
			s->have_vm_bit = true;
			s->vm_bit = st->data[0x13] & (1u << 4);
		}
		break;
	case 1:
		take_string(s, st, 0x04, &s->sys_vendor, "manufacturer");
		take_string(s, st, 0x05, &s->product_name, "product");
		take_string(s, st, 0x06, &s->product_version, "version");
		if (st->len >= 0x18)
			s->product_uuid = uuid_string(st->data + 0x08, s->major > 2 || (s->major == 2 && s->minor >= 6));
		break;
	case 2:
		take_string(s, st, 0x04, &s->board_vendor, "manufacturer");
		break;
	case 3:
		take_string(s, st, 0x08, &s->chassis_asset_tag, "asset_tag");
		break;
	}
}

int smbios_decode(const unsigned char *buf, size_t len, struct smbios_info *s)
{
	const unsigned char *p, *end;
	bool seen[4] = { false };
	uint32_t table_len;
	size_t n = 0;

	if (len < SMBIOS_RAW_HEADER) {
		note(s, "%zu bytes: shorter than the 8-byte RawSMBIOSData header", len);
		return -EINVAL;
	}
	s->major = buf[1];
	s->minor = buf[2];
	table_len = (uint32_t)buf[4] | (uint32_t)buf[5] << 8 | (uint32_t)buf[6] << 16 | (uint32_t)buf[7] << 24;
	if (table_len > len - SMBIOS_RAW_HEADER) {
		note(s, "header says %lu bytes of table, the file holds %zu; decoding what is there",
		     (unsigned long)table_len, len - SMBIOS_RAW_HEADER);
		table_len = (uint32_t)(len - SMBIOS_RAW_HEADER);
	} else if (table_len < len - SMBIOS_RAW_HEADER)
		note(s, "%zu bytes after the table's %lu; ignored", len - SMBIOS_RAW_HEADER - table_len,
		     (unsigned long)table_len);
	p = buf + SMBIOS_RAW_HEADER;
	end = p + table_len;

	while (p < end) {
		struct smbios_struct st;
		const unsigned char *q;

		if (n++ == SMBIOS_MAX_STRUCTS) {
			note(s, "more than %d structures; the rest ignored", SMBIOS_MAX_STRUCTS);
			break;
		}
		if ((size_t)(end - p) < 4) {
			note(s, "structure %zu: header cut by the end of the table", n);
			break;
		}
		st.type = p[0];
		st.len = p[1];
		st.handle = (uint16_t)(p[2] | p[3] << 8);
		if (st.len < 4) {
			note(s, "structure %zu (type %u): length %u is shorter than its header; table not read further", n,
			     st.type, st.len);
			break;
		}
		if (st.len > (size_t)(end - p)) {
			note(s, "structure %zu (type %u): length %u runs past the end of the table", n, st.type, st.len);
			break;
		}
		st.data = p;
		st.strings = p + st.len;
		/* The string set ends at the first double NUL; a structure
		 * without strings is just the double NUL. */
		for (q = st.strings; q + 1 < end && !(q[0] == 0 && q[1] == 0); q++)
			;
		if (q + 1 >= end) {
			note(s, "structure %zu (type %u): string set without its double-NUL end", n, st.type);
			break;
		}
		st.strings_len = (size_t)(q - st.strings);
		decode_struct(s, &st, seen);
		p = q + 2;
		if (st.type == 127) /* End-of-Table (DSP0134 7.45) */
			break;
	}
	return 0;
}
