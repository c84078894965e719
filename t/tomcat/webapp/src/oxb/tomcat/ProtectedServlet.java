package oxb.tomcat;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;

/**
 * /servlet/axis2/services/* and /webservices/* (any method): stand-ins for
 * OX's SOAP provisioning API. Reaching this servlet means an ACL let the
 * request through.
 */
public final class ProtectedServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        Util.text(resp, HttpServletResponse.SC_OK,
                "PROTECTED RESOURCE REACHED route=" + Util.route() + " path=" + req.getRequestURI() + "\n");
    }
}
