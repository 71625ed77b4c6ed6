/*
 * entry: the body of one Service Log entry (Contract G 8.2).
 *
 * Exactly the seven members of the contract.  The summary is the rendered
 * description cut to 255 bytes; the description is the rendered reason
 * followed by a link to the rule, cut to 4000 bytes by shortening only the
 * reason, so that the link survives; only a link too long by itself cuts
 * the whole text.  Every cut falls on a UTF-8 character boundary.
 */
#include <string.h>

#include "buf.h"
#include "log.h"
#include "slp.h"

#define SERVICE_NAME	"CCX Notification Service"
#define LINK_START	"\n\n[More details]("
#define LINK_END	")."

static void	put_member(struct buf *, const char *, const char *, size_t,
		    int);
static void	link_suffix(const struct config *, const struct rendered *,
		    struct buf *);

static const char *const severities[] = {
	NULL, "Info", "Warning", "Major", "Critical"
};

const char *
entry_severity(int64_t total_risk)
{
	if (total_risk < 1 || total_risk > 4)
		return NULL;
	return severities[total_risk];
}

void
entry_build(const struct config *cfg, const char *cluster,
    const struct issue *is, struct buf *b)
{
	const struct rendered *r = &is->r;
	const char *sev;
	struct buf link, text;
	size_t keep;

	if ((sev = entry_severity(is->total_risk)) == NULL) {
		log_warn("cluster %s item %lld: total risk %lld has no "
		    "severity, using Info", cluster, (long long)is->item,
		    (long long)is->total_risk);
		sev = "Info";
	}
	buf_init(&link);
	buf_init(&text);
	link_suffix(cfg, r, &link);
	if (link.len <= SLP_DESCRIPTION_MAX) {
		keep = utf8_cut(r->reason.p, r->reason.len,
		    SLP_DESCRIPTION_MAX - link.len);
		buf_add(&text, r->reason.p, keep);
		buf_add(&text, link.data, link.len);
	} else {
		buf_add(&text, r->reason.p, r->reason.len);
		buf_add(&text, link.data, link.len);
		text.len = utf8_cut(text.data, text.len, SLP_DESCRIPTION_MAX);
		text.data[text.len] = '\0';
	}
	buf_putc(b, '{');
	put_member(b, "cluster_uuid", cluster, strlen(cluster), 1);
	put_member(b, "description", text.data, text.len, 0);
	put_member(b, "service_name", SERVICE_NAME, strlen(SERVICE_NAME), 0);
	put_member(b, "severity", sev, strlen(sev), 0);
	put_member(b, "summary", r->description.p, utf8_cut(r->description.p,
	    r->description.len, SLP_SUMMARY_MAX), 0);
	put_member(b, "created_by", cfg->created_by, strlen(cfg->created_by),
	    0);
	put_member(b, "username", cfg->username, strlen(cfg->username), 0);
	buf_putc(b, '}');
	buf_free(&link);
	buf_free(&text);
}

static void
put_member(struct buf *b, const char *name, const char *v, size_t n,
    int first)
{
	if (!first)
		buf_putc(b, ',');
	buf_json_str(b, name, strlen(name));
	buf_putc(b, ':');
	buf_json_str(b, v, n);
}

/*
 * "\n\n[More details](URL)." where URL is the rule details template with
 * every {module} replaced by the rendered rule_id (dots kept) and every
 * {error_key} by the rendered error key, in one pass.
 */
static void
link_suffix(const struct config *cfg, const struct rendered *r,
    struct buf *b)
{
	const char *t = cfg->rule_details_uri;

	buf_puts(b, LINK_START);
	while (*t != '\0') {
		if (strncmp(t, "{module}", 8) == 0) {
			buf_add(b, r->rule_id.p, r->rule_id.len);
			t += 8;
		} else if (strncmp(t, "{error_key}", 11) == 0) {
			buf_add(b, r->error_key.p, r->error_key.len);
			t += 11;
		} else
			buf_putc(b, *t++);
	}
	buf_puts(b, LINK_END);
}
