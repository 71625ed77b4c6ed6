/*
 * evfilter: a recursive-descent parser that turns an event-filter
 * expression into a reverse Polish program, and a stack machine that runs
 * it.  The parser recurses once per precedence level and parenthesis, and
 * the parenthesis depth is bounded, so neither the C stack nor the
 * evaluation stack can grow with the input beyond a fixed size.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "evfilter.h"
#include "log.h"

/* Tokens; the binary operators double as the program's instructions. */
enum {
	T_END, T_INT, T_IDENT, T_LPAREN, T_RPAREN,
	T_OR, T_AND, T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE,
	T_ADD, T_SUB, T_MUL, T_DIV, T_MOD,
	OP_CONST, OP_VAR
};

/* Binary precedence levels, low to high: ||, &&, comparisons, + -, * / %. */
#define NLEVELS		5

/*
 * Each active precedence level holds at most one pending left operand, so
 * an operand nested in d parentheses needs at most NLEVELS * (d + 1) + 1
 * stack slots.
 */
#define STACK_MAX	(NLEVELS * (EVFILTER_MAX_DEPTH + 1) + 1)

/* The longest identifier quoted in an error message. */
#define QUOTE_MAX	40

struct evop {
	int	 code;
	int64_t	 val;		/* OP_CONST: the value; OP_VAR: the offset */
};

struct evfilter {
	size_t		 nops;
	size_t		 maxsp;
	struct evop	 ops[];
};

struct parser {
	const char	*s;
	size_t		 pos;		/* first byte after the current token */
	int		 tok;
	size_t		 tokpos;	/* offset of the current token */
	size_t		 toklen;
	int64_t		 tokval;	/* T_INT: value; T_IDENT: offset */
	int		 depth;		/* open parentheses */
	struct evop	*ops;
	size_t		 nops;
	size_t		 cap;
	size_t		 sp;		/* stack depth after ops so far */
	size_t		 maxsp;
	char		*err;
	size_t		 errsz;
};

static const struct {
	const char	*name;
	size_t		 off;
} vartab[] = {
	{ "totalRisk", offsetof(struct evfilter_vars, totalRisk) },
	{ "likelihood", offsetof(struct evfilter_vars, likelihood) },
	{ "impact", offsetof(struct evfilter_vars, impact) },
	{ "severity", offsetof(struct evfilter_vars, severity) },
	{ "totalRiskThreshold",
	    offsetof(struct evfilter_vars, totalRiskThreshold) },
	{ "likelihoodThreshold",
	    offsetof(struct evfilter_vars, likelihoodThreshold) },
	{ "impactThreshold", offsetof(struct evfilter_vars, impactThreshold) },
	{ "severityThreshold",
	    offsetof(struct evfilter_vars, severityThreshold) },
};

static int	fail(struct parser *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	iswhite(int);
static int	isidstart(int);
static int	isidchar(int);
static int	varoff(const char *, size_t, size_t *);
static int	lex(struct parser *);
static int	lex_int(struct parser *);
static void	emit(struct parser *, int, int64_t);
static int	binop_level(int);
static int	parse_level(struct parser *, int);
static int	parse_primary(struct parser *);
static int64_t	wrap(uint64_t);

/* Formats the message with " at column N" (N = offset + 1); returns -1. */
static int
fail(struct parser *p, size_t off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->err == NULL || p->errsz == 0)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(p->err, p->errsz, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < p->errsz)
		snprintf(p->err + n, p->errsz - (size_t)n, " at column %zu",
		    off + 1);
	return -1;
}

static int
iswhite(int c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

static int
isidstart(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
isidchar(int c)
{
	return isidstart(c) || (c >= '0' && c <= '9');
}

static int
varoff(const char *name, size_t len, size_t *off)
{
	size_t i;

	for (i = 0; i < sizeof(vartab) / sizeof(vartab[0]); i++)
		if (strlen(vartab[i].name) == len &&
		    memcmp(vartab[i].name, name, len) == 0) {
			*off = vartab[i].off;
			return 0;
		}
	return -1;
}

int64_t *
evfilter_var(struct evfilter_vars *v, const char *name, size_t len)
{
	size_t off;

	if (varoff(name, len, &off) == -1)
		return NULL;
	return (int64_t *)(void *)((char *)v + off);
}

/* Reads a decimal literal at p->pos; a letter, '_' or '.' may not follow. */
static int
lex_int(struct parser *p)
{
	const char *s = p->s;
	size_t i = p->pos;
	int64_t v = 0;
	int d;

	for (; s[i] >= '0' && s[i] <= '9'; i++) {
		d = s[i] - '0';
		if (v > (INT64_MAX - d) / 10)
			return fail(p, p->tokpos, "integer out of range");
		v = v * 10 + d;
	}
	if (isidchar((unsigned char)s[i]) || s[i] == '.')
		return fail(p, i, "unexpected character '%c'", s[i]);
	p->tok = T_INT;
	p->tokval = v;
	p->pos = i;
	return 0;
}

static int
lex(struct parser *p)
{
	/* The tokens of one character, and theirs. */
	static const char single[] = "()+-*/%";
	static const int single_tok[] = {
		T_LPAREN, T_RPAREN, T_ADD, T_SUB, T_MUL, T_DIV, T_MOD
	};
	const char *s = p->s, *sc;
	size_t i = p->pos, off;
	unsigned char c;

	while (iswhite((unsigned char)s[i]))
		i++;
	p->tokpos = i;
	p->pos = i + 1;
	c = (unsigned char)s[i];
	if (c != '\0' && (sc = strchr(single, c)) != NULL) {
		p->tok = single_tok[sc - single];
		return 0;
	}
	switch (c) {
	case '\0':
		p->tok = T_END;
		p->pos = i;
		break;
	case '<':
	case '>':
		if (s[i + 1] == '=') {
			p->tok = c == '<' ? T_LE : T_GE;
			p->pos++;
		} else
			p->tok = c == '<' ? T_LT : T_GT;
		break;
	case '=':
	case '!':
		if (s[i + 1] != '=')
			return fail(p, i, "unexpected character '%c'", c);
		p->tok = c == '=' ? T_EQ : T_NE;
		p->pos++;
		break;
	case '&':
	case '|':
		if (s[i + 1] != (char)c)
			return fail(p, i, "unexpected character '%c'", c);
		p->tok = c == '&' ? T_AND : T_OR;
		p->pos++;
		break;
	default:
		if (c >= '0' && c <= '9') {
			p->pos = i;
			return lex_int(p);
		}
		if (!isidstart(c)) {
			if (c > ' ' && c < 0x7f)
				return fail(p, i, "unexpected character '%c'",
				    c);
			return fail(p, i, "unexpected character '\\x%02x'",
			    c);
		}
		while (isidchar((unsigned char)s[p->pos]))
			p->pos++;
		p->toklen = p->pos - i;
		if (varoff(s + i, p->toklen, &off) == -1)
			return fail(p, i, "unknown identifier '%.*s%s'",
			    p->toklen > QUOTE_MAX ? QUOTE_MAX : (int)p->toklen,
			    s + i, p->toklen > QUOTE_MAX ? "..." : "");
		p->tok = T_IDENT;
		p->tokval = (int64_t)off;
		break;
	}
	return 0;
}

static void
emit(struct parser *p, int code, int64_t val)
{
	struct evop *n;
	size_t ncap;

	if (p->nops == p->cap) {
		ncap = p->cap ? p->cap * 2 : 16;
		if ((n = reallocarray(p->ops, ncap, sizeof(*n))) == NULL)
			log_fatal(EX_OSERR, "unable to allocate %zu "
			    "instructions", ncap);
		p->ops = n;
		p->cap = ncap;
	}
	p->ops[p->nops].code = code;
	p->ops[p->nops].val = val;
	p->nops++;
	if (code == OP_CONST || code == OP_VAR) {
		if (++p->sp > p->maxsp)
			p->maxsp = p->sp;
	} else
		p->sp--;
}

static int
binop_level(int tok)
{
	switch (tok) {
	case T_OR:
		return 0;
	case T_AND:
		return 1;
	case T_EQ:
	case T_NE:
	case T_LT:
	case T_LE:
	case T_GT:
	case T_GE:
		return 2;
	case T_ADD:
	case T_SUB:
		return 3;
	case T_MUL:
	case T_DIV:
	case T_MOD:
		return 4;
	default:
		return -1;
	}
}

/* level = operand { op-of-this-level operand }, left-associative. */
static int
parse_level(struct parser *p, int level)
{
	int op;

	if (level == NLEVELS)
		return parse_primary(p);
	if (parse_level(p, level + 1) == -1)
		return -1;
	while (binop_level(p->tok) == level) {
		op = p->tok;
		if (lex(p) == -1 || parse_level(p, level + 1) == -1)
			return -1;
		emit(p, op, 0);
	}
	return 0;
}

static int
parse_primary(struct parser *p)
{
	size_t open;

	switch (p->tok) {
	case T_INT:
		emit(p, OP_CONST, p->tokval);
		return lex(p);
	case T_IDENT:
		emit(p, OP_VAR, p->tokval);
		return lex(p);
	case T_LPAREN:
		open = p->tokpos;
		if (++p->depth > EVFILTER_MAX_DEPTH)
			return fail(p, open, "parentheses nested deeper "
			    "than %d", EVFILTER_MAX_DEPTH);
		if (lex(p) == -1 || parse_level(p, 0) == -1)
			return -1;
		if (p->tok == T_END)
			return fail(p, open, "unbalanced parenthesis");
		if (p->tok != T_RPAREN)
			return fail(p, p->tokpos, "leftover operand");
		p->depth--;
		return lex(p);
	case T_RPAREN:
		if (p->depth == 0)
			return fail(p, p->tokpos, "unbalanced parenthesis");
		/* FALLTHROUGH */
	default:
		return fail(p, p->tokpos, "missing operand");
	}
}

struct evfilter *
evfilter_compile(const char *expr, char *err, size_t errsz)
{
	struct parser p;
	struct evfilter *f = NULL;
	size_t i;

	if (expr == NULL || *expr == '\0')
		expr = EVFILTER_DEFAULT;
	memset(&p, 0, sizeof(p));
	p.s = expr;
	p.err = err;
	p.errsz = errsz;
	if (err != NULL && errsz > 0)
		*err = '\0';
	for (i = 0; iswhite((unsigned char)expr[i]); i++)
		;
	if (expr[i] == '\0') {
		if (err != NULL && errsz > 0)
			snprintf(err, errsz, "empty expression");
		return NULL;
	}
	if (lex(&p) == -1 || parse_level(&p, 0) == -1)
		goto out;
	if (p.tok == T_RPAREN) {
		fail(&p, p.tokpos, "unbalanced parenthesis");
		goto out;
	}
	if (p.tok != T_END) {
		fail(&p, p.tokpos, "leftover operand");
		goto out;
	}
	if (p.maxsp > STACK_MAX) {
		/* Cannot happen with the depth bound; refuse rather than
		 * overrun the evaluation stack. */
		fail(&p, 0, "expression too complex");
		goto out;
	}
	if ((f = malloc(sizeof(*f) + p.nops * sizeof(f->ops[0]))) == NULL)
		log_fatal(EX_OSERR, "unable to allocate an event filter");
	f->nops = p.nops;
	f->maxsp = p.maxsp;
	memcpy(f->ops, p.ops, p.nops * sizeof(f->ops[0]));
out:
	free(p.ops);
	return f;
}

void
evfilter_free(struct evfilter *f)
{
	free(f);
}

/* Converts modulo 2^64 without implementation-defined behaviour. */
static int64_t
wrap(uint64_t u)
{
	if (u <= INT64_MAX)
		return (int64_t)u;
	return (int64_t)(u - (uint64_t)INT64_MIN) + INT64_MIN;
}

int
evfilter_eval(const struct evfilter *f, const struct evfilter_vars *v,
    int64_t *result)
{
	int64_t st[STACK_MAX], a, b;
	const struct evop *op, *end;
	size_t sp = 0;

	for (op = f->ops, end = op + f->nops; op < end; op++) {
		if (op->code == OP_CONST) {
			st[sp++] = op->val;
			continue;
		}
		if (op->code == OP_VAR) {
			st[sp++] = *(const int64_t *)(const void *)
			    ((const char *)v + op->val);
			continue;
		}
		b = st[--sp];
		a = st[sp - 1];
		switch (op->code) {
		case T_OR:
			a = a != 0 || b != 0;
			break;
		case T_AND:
			a = a != 0 && b != 0;
			break;
		case T_EQ:
			a = a == b;
			break;
		case T_NE:
			a = a != b;
			break;
		case T_LT:
			a = a < b;
			break;
		case T_LE:
			a = a <= b;
			break;
		case T_GT:
			a = a > b;
			break;
		case T_GE:
			a = a >= b;
			break;
		case T_ADD:
			a = wrap((uint64_t)a + (uint64_t)b);
			break;
		case T_SUB:
			a = wrap((uint64_t)a - (uint64_t)b);
			break;
		case T_MUL:
			a = wrap((uint64_t)a * (uint64_t)b);
			break;
		case T_DIV:
			if (b == 0)
				return -1;
			a = b == -1 ? wrap(0 - (uint64_t)a) : a / b;
			break;
		case T_MOD:
			if (b == 0)
				return -1;
			a = b == -1 ? 0 : a % b;
			break;
		}
		st[sp - 1] = a;
	}
	*result = st[0];
	return 0;
}
