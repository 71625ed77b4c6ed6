/*
 * redact: secrets taken out of text before it is logged or written.
 *
 * redact_text masks, in place, what a diagnostic may carry of a secret:
 *
 *	the userinfo of a URL		https://user:***@host (or ***@host)
 *	a secret setting or parameter	password=***, sasl.password = ***,
 *					?access_token=***&...
 *	a secret JSON member		"client_secret":"***"
 *	an Authorization header		Authorization: Bearer ***
 *
 * A setting is secret when redact_is_secret_key says so.  The values of
 * ssl.key.pem, ssl_key and sasl.oauthbearer.config may hold blanks, so
 * the rest of their line (of a PEM block: to its END line) is masked.  Values already masked ("***",
 * "(secret)", "[redacted]") are left alone, so redacting twice changes
 * nothing.  A mask may be longer than what it replaces: text that no
 * longer fits in size is cut.  Nothing here allocates.
 */
#ifndef CCX_REDACT_H
#define CCX_REDACT_H

#include <stddef.h>

#define REDACT_MASK	"***"

/*
 * 1 when key[0..n) (any case) names a secret: it contains "password",
 * "passwd" or "secret", or ends with "token", "key.pem", "ssl_key",
 * "private_key", "apikey", "api_key" or "oauthbearer.config".  This covers
 * libpq's password and sslpassword; librdkafka's sasl.password,
 * ssl.key.password, ssl.keystore.password, ssl.key.pem, ssl_key,
 * sasl.oauthbearer.client.secret and sasl.oauthbearer.config; OAuth's
 * client_secret, access_token, refresh_token.  Not secret: certificates
 * (ssl.certificate.pem, ssl.ca.pem), file locations, user names.
 */
int	redact_is_secret_key(const char *key, size_t n);

/* Masks the secrets of the NUL-terminated s, which has size bytes. */
void	redact_text(char *s, size_t size);

/* Masks every occurrence of v[0..n) in s (size bytes); n of 0 does
 * nothing. */
void	redact_value(char *s, size_t size, const char *v, size_t n);

#endif
