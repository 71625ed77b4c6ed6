/*
 * fuzz-evfilter: evfilter_compile and evfilter_eval (common/evfilter.c)
 * against a reference of SPEC 4.5 written here: a direct recursive-descent
 * evaluator, no program, no stack machine.
 *
 * Input: the expression, then optionally a NUL byte and up to 64 bytes
 * that set the eight variables (little-endian, missing bytes 0).  Without
 * the NUL the expression is evaluated over a fixed set of variable tuples
 * (zeros, ones, -1, the extremes, small mixed values).
 *
 * Checked: the expression compiles exactly when the reference parses it;
 * a compile error has a message naming a column ("empty expression" for a
 * blank one) and success leaves err empty; evaluation gives the
 * reference's value, or -1 exactly when the reference divides by zero
 * anywhere (SPEC: no short-circuit).
 */
#include <string.h>

#include "evfilter.h"
#include "fuzz.h"

enum {
	R_END, R_INT, R_VAR, R_LP, R_RP, R_OR, R_AND, R_EQ, R_NE, R_LT, R_LE,
	R_GT, R_GE, R_ADD, R_SUB, R_MUL, R_DIV, R_MOD
};

struct rtok {
	int	kind;
	int64_t	val;		/* R_INT: the value; R_VAR: the index */
};

struct ref {
	const struct rtok	*t;
	size_t			 i;
	int			 depth;
	int			 divzero;
	const int64_t		*vars;	/* in evfilter_vars order */
};

static const char *const names[8] = { "totalRisk", "likelihood", "impact",
	"severity", "totalRiskThreshold", "likelihoodThreshold",
	"impactThreshold", "severityThreshold" };

static int64_t	wrapu(uint64_t);
static int	ref_lex(const char *, struct rtok *);
static int	ref_level(struct ref *, int, int64_t *);
static int	ref_primary(struct ref *, int64_t *);
static int64_t	ref_apply(struct ref *, int, int64_t, int64_t);
static int	level_of(int);
static void	set_vars(struct evfilter_vars *, const int64_t *);

static int64_t
wrapu(uint64_t u)
{
	return u <= (uint64_t)INT64_MAX ? (int64_t)u :
	    -(int64_t)(~u) - 1;
}

/* Splits s into tokens (ending with R_END); returns 0 or -1. */
static int
ref_lex(const char *s, struct rtok *t)
{
	static const char ops1[] = "()+-*/%";
	static const int kinds1[] = { R_LP, R_RP, R_ADD, R_SUB, R_MUL, R_DIV,
	    R_MOD };
	size_t i = 0, j, n, k;
	const char *p;
	uint64_t v;

	for (n = 0;; n++) {
		while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n')
			i++;
		if (s[i] == '\0') {
			t[n].kind = R_END;
			return 0;
		}
		if ((p = strchr(ops1, s[i])) != NULL) {
			t[n].kind = kinds1[p - ops1];
			i++;
		} else if (strncmp(s + i, "||", 2) == 0 ||
		    strncmp(s + i, "&&", 2) == 0 ||
		    strncmp(s + i, "==", 2) == 0 ||
		    strncmp(s + i, "!=", 2) == 0 ||
		    strncmp(s + i, "<=", 2) == 0 ||
		    strncmp(s + i, ">=", 2) == 0) {
			t[n].kind = s[i] == '|' ? R_OR : s[i] == '&' ? R_AND :
			    s[i] == '=' ? R_EQ : s[i] == '!' ? R_NE :
			    s[i] == '<' ? R_LE : R_GE;
			i += 2;
		} else if (s[i] == '<' || s[i] == '>') {
			t[n].kind = s[i] == '<' ? R_LT : R_GT;
			i++;
		} else if (s[i] >= '0' && s[i] <= '9') {
			for (v = 0; s[i] >= '0' && s[i] <= '9'; i++) {
				k = (size_t)(s[i] - '0');
				if (v > ((uint64_t)INT64_MAX - k) / 10)
					return -1;
				v = v * 10 + k;
			}
			if (strchr("._", s[i]) != NULL && s[i] != '\0')
				return -1;
			if ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z')
				return -1;
			t[n].kind = R_INT;
			t[n].val = (int64_t)v;
		} else if (s[i] == '_' || ((s[i] | 0x20) >= 'a' &&
		    (s[i] | 0x20) <= 'z')) {
			for (j = i; s[j] == '_' || (s[j] >= '0' &&
			    s[j] <= '9') || ((s[j] | 0x20) >= 'a' &&
			    (s[j] | 0x20) <= 'z'); j++)
				;
			for (k = 0; k < 8; k++)
				if (strlen(names[k]) == j - i &&
				    strncmp(names[k], s + i, j - i) == 0)
					break;
			if (k == 8)
				return -1;
			t[n].kind = R_VAR;
			t[n].val = (int64_t)k;
			i = j;
		} else
			return -1;
	}
}

static int64_t
ref_apply(struct ref *r, int op, int64_t a, int64_t b)
{
	switch (op) {
	case R_OR:
		return a || b;
	case R_AND:
		return a && b;
	case R_EQ:
		return a == b;
	case R_NE:
		return a != b;
	case R_LT:
		return a < b;
	case R_LE:
		return a <= b;
	case R_GT:
		return a > b;
	case R_GE:
		return a >= b;
	case R_ADD:
		return wrapu((uint64_t)a + (uint64_t)b);
	case R_SUB:
		return wrapu((uint64_t)a - (uint64_t)b);
	case R_MUL:
		return wrapu((uint64_t)a * (uint64_t)b);
	case R_DIV:
	case R_MOD:
		if (b == 0) {
			r->divzero = 1;
			return 0;
		}
		if (a == INT64_MIN && b == -1)
			return op == R_DIV ? INT64_MIN : 0;
		return op == R_DIV ? a / b : a % b;
	}
	abort();
}

/* The operators of each level, lowest first. */
static int
level_of(int kind)
{
	if (kind == R_OR)
		return 0;
	if (kind == R_AND)
		return 1;
	if (kind >= R_EQ && kind <= R_GE)
		return 2;
	if (kind == R_ADD || kind == R_SUB)
		return 3;
	if (kind >= R_MUL && kind <= R_MOD)
		return 4;
	return -1;
}

static int
ref_level(struct ref *r, int level, int64_t *v)
{
	int64_t b;
	int op;

	if (level == 5)
		return ref_primary(r, v);
	if (ref_level(r, level + 1, v) == -1)
		return -1;
	while (level_of(r->t[r->i].kind) == level) {
		op = r->t[r->i++].kind;
		if (ref_level(r, level + 1, &b) == -1)
			return -1;
		*v = ref_apply(r, op, *v, b);
	}
	return 0;
}

static int
ref_primary(struct ref *r, int64_t *v)
{
	const struct rtok *t = &r->t[r->i];

	switch (t->kind) {
	case R_INT:
		*v = t->val;
		r->i++;
		return 0;
	case R_VAR:
		*v = r->vars[t->val];
		r->i++;
		return 0;
	case R_LP:
		if (++r->depth > EVFILTER_MAX_DEPTH)
			return -1;
		r->i++;
		if (ref_level(r, 0, v) == -1 || r->t[r->i].kind != R_RP)
			return -1;
		r->i++;
		r->depth--;
		return 0;
	default:
		return -1;
	}
}

static void
set_vars(struct evfilter_vars *v, const int64_t *x)
{
	v->totalRisk = x[0];
	v->likelihood = x[1];
	v->impact = x[2];
	v->severity = x[3];
	v->totalRiskThreshold = x[4];
	v->likelihoodThreshold = x[5];
	v->impactThreshold = x[6];
	v->severityThreshold = x[7];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int64_t fixed[][8] = {
		{ 0, 0, 0, 0, 0, 0, 0, 0 },
		{ 1, 1, 1, 1, 1, 1, 1, 1 },
		{ -1, -1, -1, -1, -1, -1, -1, -1 },
		{ INT64_MIN, INT64_MAX, -1, 1, INT64_MIN, -1, INT64_MAX, 0 },
		{ 2, 4, 3, 1, 3, 2, 2, 4 },
	};
	struct evfilter_vars v;
	struct evfilter *f;
	struct rtok *toks;
	struct ref r;
	int64_t given[8], got, want, *tuple;
	uint64_t raw[8];
	const char *expr;
	char *s, err[256], *col;
	size_t n, i, j, ntuples;
	int ok, rc;

	n = strnlen((const char *)data, size);
	if ((s = malloc(n + 1)) == NULL)
		abort();
	memcpy(s, data, n);
	s[n] = '\0';
	expr = n == 0 ? EVFILTER_DEFAULT : s;
	/* At most one token a byte, and the end. */
	if ((toks = calloc(strlen(expr) + 1, sizeof(*toks))) == NULL)
		abort();
	memset(raw, 0, sizeof(raw));
	memset(given, 0, sizeof(given));
	if (n < size) {
		for (i = 0; i < 64 && n + 1 + i < size; i++)
			raw[i / 8] |= (uint64_t)data[n + 1 + i] << (8 * (i % 8));
		for (i = 0; i < 8; i++)
			given[i] = wrapu(raw[i]);
		ntuples = 1;
	} else
		ntuples = sizeof(fixed) / sizeof(fixed[0]);

	memset(&r, 0, sizeof(r));
	r.t = toks;
	r.vars = fixed[0];
	ok = ref_lex(expr, toks) == 0 && ref_level(&r, 0, &want) == 0 &&
	    toks[r.i].kind == R_END;
	memset(err, 'x', sizeof(err));
	f = evfilter_compile(n == 0 && (size & 1) ? NULL : s, err,
	    sizeof(err));
	FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL, "err not "
	    "terminated");
	if (f == NULL) {
		FUZZ_ASSERT(!ok, "\"%s\" does not compile: %s", expr, err);
		col = strstr(err, " at column ");
		FUZZ_ASSERT((col != NULL && col != err) ||
		    strcmp(err, "empty expression") == 0, "message %s", err);
		free(s);
		free(toks);
		return 0;
	}
	FUZZ_ASSERT(ok, "\"%s\" compiles", expr);
	FUZZ_ASSERT(err[0] == '\0', "message %s after success", err);
	for (j = 0; j < ntuples; j++) {
		tuple = ntuples == 1 ? given : (int64_t *)fixed[j];
		set_vars(&v, tuple);
		memset(&r, 0, sizeof(r));
		r.t = toks;
		r.vars = tuple;
		(void)ref_level(&r, 0, &want);
		got = 12345;
		rc = evfilter_eval(f, &v, &got);
		if (r.divzero)
			FUZZ_ASSERT(rc == -1 && got == 12345, "\"%s\": %d, %lld "
			    "instead of a division by zero", expr, rc,
			    (long long)got);
		else
			FUZZ_ASSERT(rc == 0 && got == want, "\"%s\": %d, %lld, "
			    "want %lld", expr, rc, (long long)got,
			    (long long)want);
	}
	evfilter_free(f);
	free(s);
	free(toks);
	return 0;
}
