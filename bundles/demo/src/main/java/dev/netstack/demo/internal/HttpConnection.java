package dev.netstack.demo.internal;

import dev.netstack.demo.BytePattern;
import dev.netstack.tcp.TcpConnection;
import dev.netstack.tcp.TcpError;
import dev.netstack.tcp.TcpHandler;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * A minimal HTTP/1.1 server for one connection (RFC 9112 message syntax, RFC 9110 semantics).
 *
 * <ul>
 *   <li>{@code GET /} (or {@code HEAD}): a plain-text status page built on request (counters and
 *       connections; the only path that allocates).</li>
 *   <li>{@code GET /bytes/N}: N bytes of {@link BytePattern}, streamed from its read-only table as
 *       send space frees ({@link #onWritable}), so N may be far larger than memory.</li>
 *   <li>404 for other paths, 405 for other methods, 400 for malformed requests or request bodies
 *       (this server takes none), 431 for request heads over {@value #MAX_HEAD} bytes.</li>
 * </ul>
 *
 * <p>Every response carries Content-Length. Connections persist (RFC 9112 §9.3) unless the client
 * sends {@code Connection: close} or speaks HTTP/1.0 without {@code keep-alive}; error responses
 * other than 404 close the connection. Pipelined requests are answered in order. While a response
 * is being sent no further request is read, so a client that does not read is held back by TCP's
 * window.
 *
 * <pre>
 *   head[0, headLength) ── request bytes received, not yet consumed
 *   out[outPosition, outLimit) ── response head and fixed body still to send
 *   patternNext .. patternNext + patternRemaining ── pattern indices still to send
 * </pre>
 */
final class HttpConnection implements TcpHandler {

    static final int MAX_HEAD = 8 * 1024;

    private static final byte[] CRLF = ascii("\r\n");
    private static final byte[] STATUS_200_PATTERN = ascii("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ");
    private static final byte[] KEEP_ALIVE_END = ascii("\r\n\r\n");
    private static final byte[] CLOSE_END = ascii("\r\nConnection: close\r\n\r\n");
    private static final MemorySegment NOT_FOUND = fixed(404, "Not Found", "", "not found: try / or /bytes/N\n", false);
    private static final MemorySegment NOT_FOUND_CLOSE = fixed(404, "Not Found", "", "not found: try / or /bytes/N\n", true);
    private static final MemorySegment BAD_REQUEST = fixed(400, "Bad Request", "", "bad request\n", true);
    private static final MemorySegment TOO_LARGE = fixed(431, "Request Header Fields Too Large", "",
            "request head larger than " + MAX_HEAD + " bytes\n", true);
    private static final MemorySegment NOT_ALLOWED = fixed(405, "Method Not Allowed", "Allow: GET, HEAD\r\n",
            "only GET and HEAD are served\n", true);

    private final StatusPage statusPage;
    private final byte[] head = new byte[MAX_HEAD];
    private final MemorySegment headSegment = MemorySegment.ofArray(head);
    private int headLength;
    private final byte[] responseHead = new byte[256];
    private final MemorySegment responseHeadSegment = MemorySegment.ofArray(responseHead);

    private MemorySegment out;
    private long outPosition;
    private long outLimit;
    private long patternNext;
    private long patternRemaining;
    private boolean responding;
    private boolean closeAfterResponse;
    private boolean peerDone;
    private boolean done;

    long requests;

    HttpConnection(StatusPage statusPage) {
        this.statusPage = statusPage;
    }

    @Override
    public void onConnected(TcpConnection connection) {
        serve(connection);
    }

    @Override
    public void onReadable(TcpConnection connection) {
        serve(connection);
    }

    @Override
    public void onWritable(TcpConnection connection) {
        serve(connection);
    }

    @Override
    public void onPeerClosed(TcpConnection connection) {
        serve(connection);
    }

    @Override
    public void onClosed(TcpConnection connection, TcpError reason) {
        done = true;
    }

    /** Sends what is pending, then reads and answers requests until blocked or done. */
    void serve(TcpConnection connection) {
        while (!done) {
            if (responding) {
                if (!pump(connection)) {
                    return;
                }
                responding = false;
                if (closeAfterResponse) {
                    finish(connection);
                    return;
                }
            }
            if (!peerDone && headLength < MAX_HEAD) {
                int n = connection.receive(headSegment, headLength, MAX_HEAD - headLength);
                if (n < 0) {
                    peerDone = true;
                } else {
                    headLength += n;
                }
            }
            int end = headEnd();
            if (end < 0) {
                if (headLength == MAX_HEAD) {
                    respondFixed(TOO_LARGE, true);
                    continue;
                }
                if (peerDone) {
                    finish(connection); // peer closed between requests (or mid-request: nothing to answer)
                }
                return;
            }
            answer(connection, end);
            // RFC 9112 §9.3: keep the bytes after this request's head for the next one.
            System.arraycopy(head, end, head, 0, headLength - end);
            headLength -= end;
            responding = true;
            requests++;
        }
    }

    private void finish(TcpConnection connection) {
        done = true;
        connection.close();
    }

    /** Sends the rest of the response; true when all of it is in the send buffer. */
    private boolean pump(TcpConnection connection) {
        while (outPosition < outLimit) {
            int sent = connection.send(out, outPosition, (int) Math.min(outLimit - outPosition, Integer.MAX_VALUE));
            if (sent < 0) {
                done = true;
                connection.abort();
                return false;
            }
            if (sent == 0) {
                return false;
            }
            outPosition += sent;
        }
        MemorySegment table = BytePattern.table();
        while (patternRemaining > 0) {
            int phase = (int) (patternNext & (BytePattern.PERIOD - 1));
            int length = (int) Math.min(patternRemaining, table.byteSize() - phase);
            int sent = connection.send(table, phase, length);
            if (sent < 0) {
                done = true;
                connection.abort();
                return false;
            }
            if (sent == 0) {
                return false;
            }
            patternNext += sent;
            patternRemaining -= sent;
        }
        return true;
    }

    /** Offset just past the CRLFCRLF that ends the request head, or -1. */
    private int headEnd() {
        for (int i = 3; i < headLength; i++) {
            if (head[i] == '\n' && head[i - 1] == '\r' && head[i - 2] == '\n' && head[i - 3] == '\r') {
                return i + 1;
            }
        }
        return -1;
    }

    /** Parses the request in {@code head[0, end)} and sets up its response. RFC 9112 §3. */
    private void answer(TcpConnection connection, int end) {
        int lineEnd = indexOf(head, 0, end, (byte) '\r');
        int sp1 = indexOf(head, 0, lineEnd, (byte) ' ');
        int sp2 = sp1 >= lineEnd ? lineEnd : indexOf(head, sp1 + 1, lineEnd, (byte) ' ');
        if (sp1 == 0 || sp2 >= lineEnd || sp2 == sp1 + 1) {
            respondFixed(BAD_REQUEST, true);
            return;
        }
        boolean http11;
        if (regionEquals(head, sp2 + 1, lineEnd, "HTTP/1.1")) {
            http11 = true;
        } else if (regionEquals(head, sp2 + 1, lineEnd, "HTTP/1.0")) {
            http11 = false;
        } else {
            respondFixed(BAD_REQUEST, true);
            return;
        }
        boolean isHead = regionEquals(head, 0, sp1, "HEAD");
        boolean isGet = regionEquals(head, 0, sp1, "GET");
        // RFC 9112 §9.3: HTTP/1.1 persists by default, HTTP/1.0 only with keep-alive.
        boolean close = !http11;
        boolean hasBody = false;
        int line = lineEnd + 2;
        while (line < end - 2) {
            int next = indexOf(head, line, end, (byte) '\r');
            int colon = indexOf(head, line, next, (byte) ':');
            if (colon < next) {
                if (nameEquals(line, colon, "connection")) {
                    if (valueContains(colon + 1, next, "close")) {
                        close = true;
                    } else if (valueContains(colon + 1, next, "keep-alive")) {
                        close = false;
                    }
                } else if (nameEquals(line, colon, "transfer-encoding")) {
                    hasBody = true;
                } else if (nameEquals(line, colon, "content-length") && !valueIsZero(colon + 1, next)) {
                    hasBody = true;
                }
            }
            line = next + 2;
        }
        if (!isGet && !isHead) {
            respondFixed(NOT_ALLOWED, true);
            return;
        }
        if (hasBody) {
            respondFixed(BAD_REQUEST, true); // a body we would have to skip: refuse rather than guess
            return;
        }
        int target = sp1 + 1;
        if (sp2 - target == 1 && head[target] == '/') {
            MemorySegment page = statusPage.render(isHead, close);
            out = page;
            outPosition = 0;
            outLimit = page.byteSize();
            patternRemaining = 0;
            closeAfterResponse = close;
            return;
        }
        if (regionStartsWith(head, target, sp2, "/bytes/")) {
            long n = parseLength(target + 7, sp2);
            if (n >= 0) {
                respondPattern(n, isHead, close);
                return;
            }
        }
        respondFixed(close ? NOT_FOUND_CLOSE : NOT_FOUND, close);
    }

    private void respondFixed(MemorySegment response, boolean close) {
        out = response;
        outPosition = 0;
        outLimit = response.byteSize();
        patternRemaining = 0;
        closeAfterResponse = close;
        responding = true;
    }

    private void respondPattern(long length, boolean headOnly, boolean close) {
        int p = put(STATUS_200_PATTERN, 0);
        p = putDecimal(length, p);
        p = put(close ? CLOSE_END : KEEP_ALIVE_END, p);
        out = responseHeadSegment;
        outPosition = 0;
        outLimit = p;
        patternNext = 0;
        patternRemaining = headOnly ? 0 : length;
        closeAfterResponse = close;
    }

    private int put(byte[] bytes, int at) {
        System.arraycopy(bytes, 0, responseHead, at, bytes.length);
        return at + bytes.length;
    }

    private int putDecimal(long value, int at) {
        int digits = 1;
        for (long v = value; v >= 10; v /= 10) {
            digits++;
        }
        long v = value;
        for (int i = at + digits - 1; i >= at; i--) {
            responseHead[i] = (byte) ('0' + v % 10);
            v /= 10;
        }
        return at + digits;
    }

    /** Decimal digits in {@code head[from, to)} (at most 18), or -1. */
    private long parseLength(int from, int to) {
        if (to <= from || to - from > 18) {
            return -1;
        }
        long value = 0;
        for (int i = from; i < to; i++) {
            int d = head[i] - '0';
            if (d < 0 || d > 9) {
                return -1;
            }
            value = value * 10 + d;
        }
        return value;
    }

    private boolean nameEquals(int from, int to, String lowerName) {
        if (to - from != lowerName.length()) {
            return false;
        }
        for (int i = 0; i < lowerName.length(); i++) {
            if (lower(head[from + i]) != lowerName.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Whether the header value in {@code head[from, to)} contains {@code lowerToken} (case-insensitive). */
    private boolean valueContains(int from, int to, String lowerToken) {
        int n = lowerToken.length();
        for (int i = from; i + n <= to; i++) {
            boolean match = true;
            for (int j = 0; j < n && match; j++) {
                match = lower(head[i + j]) == lowerToken.charAt(j);
            }
            if (match) {
                return true;
            }
        }
        return false;
    }

    private boolean valueIsZero(int from, int to) {
        boolean sawZero = false;
        for (int i = from; i < to; i++) {
            byte b = head[i];
            if (b == '0') {
                sawZero = true;
            } else if (b != ' ' && b != '\t') {
                return false;
            }
        }
        return sawZero;
    }

    private static int lower(byte b) {
        return b >= 'A' && b <= 'Z' ? b + 32 : b;
    }

    /** Index of {@code value} in {@code bytes[from, to)}, or {@code to}. */
    private static int indexOf(byte[] bytes, int from, int to, byte value) {
        for (int i = from; i < to; i++) {
            if (bytes[i] == value) {
                return i;
            }
        }
        return to;
    }

    private static boolean regionEquals(byte[] bytes, int from, int to, String ascii) {
        return to - from == ascii.length() && regionStartsWith(bytes, from, to, ascii);
    }

    private static boolean regionStartsWith(byte[] bytes, int from, int to, String ascii) {
        if (to - from < ascii.length()) {
            return false;
        }
        for (int i = 0; i < ascii.length(); i++) {
            if (bytes[from + i] != ascii.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** A complete response with a text body, built once. */
    static MemorySegment fixed(int status, String reason, String extraHeaders, String body, boolean close) {
        byte[] b = ascii(body);
        String text = "HTTP/1.1 " + status + " " + reason + "\r\nContent-Type: text/plain\r\nContent-Length: " + b.length
                + "\r\n" + extraHeaders + (close ? "Connection: close\r\n" : "") + "\r\n" + body;
        return MemorySegment.ofArray(ascii(text)).asReadOnly();
    }
}
