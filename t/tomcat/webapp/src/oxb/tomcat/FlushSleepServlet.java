package oxb.tomcat;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * /flush-sleep?ms=N[&what=body|whole|head]: a servlet that flushes, then
 * sleeps N ms (default 1000) before it goes on. body: writes "flushed\n",
 * flushes (AJP: the head, a body chunk, an empty chunk), sleeps, writes
 * "done\n". whole: its whole response, "flushed\n" with Content-Length,
 * then flush and sleep. head: flushBuffer() with nothing written (the head
 * alone), sleep, "done\n".
 */
public final class FlushSleepServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    private static final byte[] FLUSHED = "flushed\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DONE = "done\n".getBytes(StandardCharsets.US_ASCII);

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        long ms = Util.parseLong(Util.query(req).get("ms"), 1000);
        String what = Util.query(req).getOrDefault("what", "body");
        if (ms < 0 || !(what.equals("body") || what.equals("whole") || what.equals("head"))) {
            Util.badRequest(resp, "ms=N and what=body|whole|head");
            return;
        }
        resp.setStatus(HttpServletResponse.SC_OK);
        resp.setContentType(Util.TEXT);
        if (what.equals("whole")) {
            resp.setContentLength(FLUSHED.length);
        }
        OutputStream out = resp.getOutputStream();
        if (!what.equals("head")) {
            out.write(FLUSHED);
        }
        out.flush();
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (!what.equals("whole")) {
            out.write(DONE);
        }
    }
}
