# Spellings of OX's protected SOAP paths, as raw request-target bytes, with
# what a client that is NOT allowed must get. Shared by t/acl/protect.t and
# t/acl/classic-measure (`do` this file; it returns the list).
#
# Every row: [raw path, class, why]. Classes:
#   403  a real spelling of a protected resource: Tomcat 10.1 maps it to the
#        servlet at /servlet/axis2/services/* or /webservices/*; mod_oxbalance
#        must deny it.
#   400  ambiguous or invalid (encoded slash, NUL, backslash, ".." above the
#        root, malformed escapes or UTF-8): mod_oxbalance refuses it and never
#        forwards it. httpd's core may refuse some of these itself before any
#        module sees them (404 for %2F and %00 with AllowEncodedSlashes Off,
#        400 for ".." above the root or a bad escape): 400 or 404 both pass.
#   404  not the protected resource, in Tomcat either (case differs, a
#        decoded ';' or '%', a longer name): nothing to protect, Tomcat or
#        httpd answers 404.
# The expected classes were checked against Tomcat 10.1.60 over AJP (see
# t/unit/test_acl.cc and docs/security.md).
use strict;
use warnings;

return (
    # --- 403: real spellings of the protected resources -----------------------
    ['/servlet/axis2/services/x',                              403, 'plain'],
    ['/servlet/axis2/services',                                403, 'plain, the prefix itself'],
    ['/webservices/y',                                         403, 'plain'],
    ['/webservices',                                           403, 'plain, the prefix itself'],
    ['/servlet;x/axis2/services/x',                            403, 'path parameter'],
    ['/servlet/axis2;x/services/x',                            403, 'path parameter'],
    ['/servlet/axis2/services;x/x',                            403, 'path parameter on the protected segment'],
    ['/servlet/axis2/services;jsessionid=5661584529655240315.OX1/x', 403, 'jsessionid parameter'],
    ['/servlet;a=b;c=d/axis2/services/x',                      403, 'two path parameters'],
    ['/webservices;x/y',                                       403, 'path parameter on the protected segment'],
    ['/webservices;jsessionid=1.OX1',                          403, 'jsessionid parameter'],
    ['/;x/webservices/y',                                      403, 'an empty segment with a parameter'],
    ['/servlet/foo/..;/axis2/services/x',                      403, q{Tomcat's "..;"}],
    ['/foo/..;/webservices/y',                                 403, q{Tomcat's "..;"}],
    ['/servlet/.;/axis2/services/x',                           403, q{".;"}],
    ['/servlet/x/..;/..;/webservices/y',                       403, q{"..;" out of /servlet into /webservices}],
    ['/x/%2e%2e;/webservices/y',                               403, 'encoded dots with a parameter'],
    ['//servlet//axis2///services/x',                          403, 'merged slashes'],
    ['//webservices/y',                                        403, 'merged slashes'],
    ['/servlet/./axis2/services/x',                            403, 'dot segment'],
    ['/./webservices/y',                                       403, 'dot segment'],
    ['/x/../webservices/y',                                    403, 'dot-dot segment'],
    ['/servlet/axis2/x/../services/x',                         403, 'dot-dot segment'],
    ['/webservices/y/..',                                      403, 'trailing dot-dot'],
    ['/servlet/%2e/axis2/services/x',                          403, 'encoded dot'],
    ['/x/%2e%2e/webservices/y',                                403, 'encoded dot-dot'],
    ['/x/%2E%2E/webservices/y',                                403, 'encoded dot-dot, upper case'],
    ['/x/.%2e/webservices/y',                                  403, 'half-encoded dot-dot'],
    ['/servlet/%61xis2/services/x',                            403, 'encoded letter'],
    ['/servlet/axis%32/services/x',                            403, 'encoded digit'],
    ['/servlet/axis2/%73ervices/x',                            403, 'encoded letter'],
    ['/%73%65%72%76%6c%65%74/%61%78%69%73%32/%73%65%72%76%69%63%65%73/x', 403, 'every letter encoded'],
    ['/webservice%73/y',                                       403, 'encoded letter'],
    ['/%77ebservices/y',                                       403, 'encoded letter'],
    ['/%77%65%62%73%65%72%76%69%63%65%73/y',                   403, 'every letter encoded'],
    ['/webservices/%e2%82%ac',                                 403, 'UTF-8 below the prefix'],
    ['/webservices/y;jsessionid=1.OX1',                        403, 'parameter below the prefix'],

    # --- 400: ambiguous, refused, never forwarded --------------------------------
    ['/servlet%2Faxis2%2Fservices/x',                          400, 'encoded slash'],
    ['/servlet%2faxis2/services/x',                            400, 'encoded slash, lower case'],
    ['/x/..%2Fwebservices/y',                                  400, 'encoded slash after dot-dot'],
    ['/webservices;%2F/y',                                     400, 'encoded slash in a parameter'],
    ['/webservices%00/y',                                      400, 'encoded NUL'],
    ['/webservices/y%00.jsp',                                  400, 'encoded NUL'],
    ['/servlet\\axis2\\services\\x',                           400, 'backslashes'],
    ['/servlet%5Caxis2/services/x',                            400, 'encoded backslash'],
    ['/x\\..\\webservices/y',                                  400, 'backslash dot-dot'],
    ['/../webservices/y',                                      400, 'dot-dot above the root'],
    ['/x/../../webservices/y',                                 400, 'dot-dot above the root'],
    ['/%2e%2e/webservices/y',                                  400, 'encoded dot-dot above the root'],
    ['/..;/webservices/y',                                     400, q{"..;" above the root}],
    ['/;x/../webservices/y',                                   400, 'dot-dot above the root after a parameter'],
    ['/webservices%/y',                                        400, 'malformed escape'],
    ['/web%zzservices/y',                                      400, 'malformed escape'],
    ['/%c0%ae%c0%ae/webservices/y',                            400, 'overlong UTF-8 dots'],
    ['/servlet%c0%afaxis2/services/x',                         400, 'overlong UTF-8 slash'],
    ['/webservices/%ff',                                       400, 'malformed UTF-8'],
    ['/webservices/%ed%a0%80',                                 400, 'UTF-8 surrogate'],
    ['/%ff/../webservices/y',                                  400, 'malformed UTF-8 removed by dot-dot (Tomcat accepts; we do not)'],

    # --- 404: not the protected resource, in Tomcat either --------------------------
    ['/Servlet/axis2/services/x',                              404, 'case differs (Tomcat is case-sensitive)'],
    ['/servlet/AXIS2/services/x',                              404, 'case differs'],
    ['/WEBSERVICES/y',                                         404, 'case differs'],
    ['/webServices/y',                                         404, 'case differs'],
    ['/webservices%3Bx/y',                                     404, q{encoded ';' is a character, not a parameter}],
    ['/x/%252e%252e/webservices/y',                            404, 'double encoding is decoded once'],
    ['/servlet/axis2/%2573ervices/x',                          404, 'double encoding is decoded once'],
    ['/webservicesfoo',                                        404, 'a longer name'],
    ['/webservices./y',                                        404, 'a trailing dot is part of the name'],
    ['/servlet/axis2/services../x',                            404, 'a longer name'],
    ['/servlet%EF%BC%8Faxis2/services/x',                      404, 'fullwidth solidus is a letter'],
);
