package dev.netstack.launcher;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The head of an HTTP/1.1 response and the framing of its body (RFC 9112 §6.3): chunked transfer
 * coding, else Content-Length, else everything until the connection closes.
 */
record HttpResponse(int status, String reason, Map<String, String> headers) {

    private static final int MAX_LINE = 16 * 1024;

    static HttpResponse readHead(InputStream in) throws IOException {
        String statusLine = readLine(in);
        // RFC 9112 §4: HTTP-version SP status-code SP [reason-phrase]
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.") || parts[1].length() != 3) {
            throw new IOException("the server did not answer HTTP/1.x (status line '" + statusLine + "')");
        }
        int status;
        try {
            status = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IOException("bad status code in '" + statusLine + "'");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        String line;
        while (!(line = readLine(in)).isEmpty()) {
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IOException("malformed header line '" + line + "'");
            }
            headers.merge(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim(),
                    (a, b) -> a + ", " + b);
        }
        if (status / 100 == 1) {
            return readHead(in); // RFC 9110 §15.2: interim responses come before the final one
        }
        return new HttpResponse(status, parts.length > 2 ? parts[2] : "", headers);
    }

    /** Copies the body to {@code out}; returns its length. */
    long copyBody(InputStream in, OutputStream out) throws IOException {
        String te = headers.get("transfer-encoding");
        if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            return copyChunked(in, out);
        }
        String cl = headers.get("content-length");
        if (cl != null) {
            long length;
            try {
                length = Long.parseLong(cl.trim());
            } catch (NumberFormatException e) {
                throw new IOException("bad Content-Length '" + cl + "'");
            }
            copyExactly(in, out, length);
            return length;
        }
        return in.transferTo(out);
    }

    /** RFC 9112 §7.1: chunk-size [ext] CRLF data CRLF ... 0 CRLF [trailers] CRLF. */
    private static long copyChunked(InputStream in, OutputStream out) throws IOException {
        long total = 0;
        while (true) {
            String line = readLine(in);
            int semicolon = line.indexOf(';');
            String hex = (semicolon < 0 ? line : line.substring(0, semicolon)).trim();
            long size;
            try {
                size = Long.parseLong(hex, 16);
            } catch (NumberFormatException e) {
                throw new IOException("bad chunk size '" + line + "'");
            }
            if (size == 0) {
                while (!readLine(in).isEmpty()) {
                    // trailer fields are ignored
                }
                return total;
            }
            copyExactly(in, out, size);
            total += size;
            if (!readLine(in).isEmpty()) {
                throw new IOException("chunk data not followed by CRLF");
            }
        }
    }

    private static void copyExactly(InputStream in, OutputStream out, long length) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long left = length;
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new EOFException("the connection closed " + left + " bytes before the end of the body");
            }
            out.write(buffer, 0, n);
            left -= n;
        }
    }

    /** A line without its CRLF (a bare LF is accepted, RFC 9112 §2.2). */
    static String readLine(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw new EOFException("the connection closed in the middle of the response head");
            }
            if (c == '\n') {
                int len = b.length();
                if (len > 0 && b.charAt(len - 1) == '\r') {
                    b.setLength(len - 1);
                }
                return b.toString();
            }
            if (b.length() >= MAX_LINE) {
                throw new IOException("response head line longer than " + MAX_LINE + " bytes");
            }
            b.append((char) c);
        }
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
