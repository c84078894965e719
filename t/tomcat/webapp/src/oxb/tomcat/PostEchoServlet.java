package oxb.tomcat;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.io.InputStream;

/**
 * /post-echo (POST): writes the request body back unchanged as
 * application/octet-stream, through one 64 KiB buffer. When the request has a
 * Content-Length the response gets the same one.
 */
public final class PostEchoServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        resp.setStatus(HttpServletResponse.SC_OK);
        resp.setContentType("application/octet-stream");
        long len = req.getContentLengthLong();
        if (len >= 0) {
            resp.setContentLengthLong(len);
        }
        byte[] buf = new byte[Util.BUF_SIZE];
        InputStream in = req.getInputStream();
        ServletOutputStream out = resp.getOutputStream();
        for (int n; (n = in.read(buf)) != -1; ) {
            out.write(buf, 0, n);
        }
    }
}
