package dev.netstack.launcher;

import dev.netstack.embedded.NetStack;
import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.tcp.TcpConnection;
import dev.netstack.tcp.TcpException;
import dev.netstack.tcp.TcpHandler;
import dev.netstack.tcp.TcpListenerHandler;
import dev.netstack.tcp.TcpListener;
import dev.netstack.tcp.TcpOptions;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The client tools: {@code nc} (netcat over the stack) and {@code get} (HTTP/1.1 GET). Each starts
 * its own embedded stack on a TAP ({@link ToolStack}), does its one job and exits.
 */
final class Tools {

    private Tools() {
    }

    /** Options shared by the tools: the NIC and address options of {@code run}, and a timeout. */
    record ToolOptions(String tap, String address, String hostAddress, String gateway, String mac, Integer mtu,
            long timeoutMs) {

        NetStack.Builder builder() {
            NetStack.Builder b = NetStack.builder().tap(tap).address(address).idle("poll");
            if (hostAddress != null) {
                b.hostAddress(hostAddress);
            }
            if (gateway != null) {
                b.gateway(gateway);
            }
            if (mac != null) {
                b.mac(mac);
            }
            if (mtu != null) {
                b.mtu(mtu);
            }
            return b;
        }
    }

    /** {@code nc HOST PORT} or {@code nc -l PORT}. */
    record Nc(ToolOptions options, String host, int port, boolean listen) implements CommandLine.Invocation {
    }

    /** {@code get URL [-o FILE]}. */
    record Get(ToolOptions options, String url, Path output) implements CommandLine.Invocation {
    }

    static int nc(Nc nc, InputStream stdin, PrintStream stdout, PrintStream err) throws ToolException, InterruptedException {
        int remote = nc.listen() ? 0 : parseAddress(nc.host());
        try (ToolStack tools = start(nc.options())) {
            TcpStreams streams = new TcpStreams(tools.stack.shard());
            onShard(tools, () -> {
                if (nc.listen()) {
                    // accept one connection, then stop listening
                    tools.tcp.listen(0, nc.port(), TcpOptions.defaults(), new TcpListenerHandler() {
                        @Override
                        public TcpHandler onAccept(TcpConnection connection) {
                            return null;
                        }

                        @Override
                        public void onAcceptable(TcpListener listener) {
                            TcpConnection c = listener.accept();
                            if (c != null) {
                                streams.attach(c);
                                listener.close();
                            }
                        }
                    });
                } else {
                    streams.connecting(tools.tcp.connect(remote, nc.port(), 0, 0, TcpOptions.defaults(), streams));
                }
            });
            String what = nc.listen() ? "nobody connected to port " + nc.port() : "cannot connect to " + nc.host() + ":" + nc.port();
            streams.awaitConnected(nc.listen() ? Long.MAX_VALUE / 2 : nc.options().timeoutMs(), what);
            TcpStreams.HalfCloseStream toPeer = streams.output();
            Thread sender = Thread.ofPlatform().daemon().name("nc-stdin").start(() -> {
                byte[] buffer = new byte[64 * 1024];
                try {
                    int n;
                    while ((n = stdin.read(buffer)) > 0) {
                        toPeer.write(buffer, 0, n);
                    }
                } catch (IOException e) {
                    // the connection failed: the receiving side reports why
                } finally {
                    toPeer.close();
                }
            });
            try (InputStream fromPeer = streams.input()) {
                fromPeer.transferTo(stdout);
                stdout.flush();
            } catch (IOException e) {
                stdout.flush();
                throw new ToolException(e.getMessage() + ".");
            }
            // both directions: the peer's data is all out; wait for stdin to be sent (or the connection to end)
            while (sender.isAlive() && !streams.closed().isDone()) {
                sender.join(100);
            }
            closeGracefully(tools, streams);
            return 0;
        }
    }

    static int get(Get get, PrintStream stdout, PrintStream err) throws ToolException, InterruptedException {
        Url url = Url.parse(get.url());
        try (ToolStack tools = start(get.options())) {
            TcpStreams streams = new TcpStreams(tools.stack.shard());
            onShard(tools, () -> streams.connecting(
                    tools.tcp.connect(url.address, url.port, 0, 0, TcpOptions.defaults(), streams)));
            streams.awaitConnected(get.options().timeoutMs(), "cannot connect to " + url.authority);
            OutputStream request = streams.output();
            try {
                request.write(("GET " + url.path + " HTTP/1.1\r\nHost: " + url.authority
                        + "\r\nUser-Agent: netstack-get\r\nAccept: */*\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                InputStream in = new BufferedInputStream(streams.input(), 64 * 1024);
                HttpResponse response = HttpResponse.readHead(in);
                if (response.status() / 100 != 2) {
                    throw new ToolException("the server answered " + response.status() + " " + response.reason() + ".");
                }
                try (OutputStream out = get.output() == null ? nonClosing(stdout) : Files.newOutputStream(get.output())) {
                    response.copyBody(in, out);
                }
            } catch (IOException e) {
                throw new ToolException("GET " + get.url() + " failed: " + e.getMessage() + ".");
            }
            closeGracefully(tools, streams);
            return 0;
        }
    }

    private static void closeGracefully(ToolStack tools, TcpStreams streams) throws InterruptedException {
        // our FIN (if not yet sent) after everything queued; TIME_WAIT ends with the process
        onShardQuietly(tools, streams::close);
        try {
            streams.closed().get(2, TimeUnit.SECONDS);
        } catch (Exception e) {
            // the stack's close resets what is left
        }
    }

    private static OutputStream nonClosing(PrintStream stdout) {
        return new java.io.FilterOutputStream(stdout) {
            @Override
            public void write(byte[] b, int off, int len) {
                stdout.write(b, off, len);
            }

            @Override
            public void close() {
                stdout.flush();
            }
        };
    }

    private static ToolStack start(ToolOptions options) throws ToolException {
        // stdout carries data and stderr one-sentence errors: the components' INFO lines stay out
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        root.setLevel(java.util.logging.Level.WARNING);
        for (java.util.logging.Handler h : root.getHandlers()) {
            h.setLevel(java.util.logging.Level.WARNING);
        }
        try {
            return ToolStack.start(options.builder(), Map.of());
        } catch (RuntimeException e) {
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new ToolException("cannot start the stack on TAP " + options.tap() + ": " + message);
        }
    }

    private static void onShard(ToolStack tools, Runnable action) throws ToolException {
        try {
            tools.stack.onShard(() -> {
                action.run();
                return null;
            });
        } catch (TcpException e) {
            throw new ToolException(e.error().message() + ".");
        } catch (RuntimeException e) {
            if (e.getCause() instanceof TcpException t) {
                throw new ToolException(t.error().message() + ".");
            }
            throw new ToolException(e.getMessage());
        }
    }

    private static void onShardQuietly(ToolStack tools, Runnable action) {
        try {
            onShard(tools, action);
        } catch (ToolException e) {
            // closing anyway
        }
    }

    static int parseAddress(String host) throws ToolException {
        try {
            return Ipv4Address.parse(host);
        } catch (RuntimeException e) {
            throw new ToolException("'" + host + "' is not an IPv4 address: the tools have no DNS, give the address.");
        }
    }

    /** {@code http://A.B.C.D[:PORT][/PATH]}. */
    record Url(String authority, int address, int port, String path) {
        static Url parse(String url) throws ToolException {
            String lower = url.toLowerCase(Locale.ROOT);
            if (!lower.startsWith("http://")) {
                throw new ToolException("get needs an http:// URL, not '" + url + "' (https is not supported).");
            }
            String rest = url.substring(7);
            int slash = rest.indexOf('/');
            String authority = slash < 0 ? rest : rest.substring(0, slash);
            String path = slash < 0 ? "/" : rest.substring(slash);
            String host = authority;
            int port = 80;
            int colon = authority.lastIndexOf(':');
            if (colon >= 0) {
                host = authority.substring(0, colon);
                try {
                    port = Integer.parseInt(authority.substring(colon + 1));
                } catch (NumberFormatException e) {
                    port = -1;
                }
                if (port < 1 || port > 65_535) {
                    throw new ToolException("the port in '" + url + "' is not a number from 1 to 65535.");
                }
            }
            return new Url(authority, parseAddress(host), port, path);
        }
    }
}
