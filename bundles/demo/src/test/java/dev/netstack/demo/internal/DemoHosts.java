package dev.netstack.demo.internal;

import dev.netstack.ethernet.internal.EthernetConfig;
import dev.netstack.ethernet.internal.EthernetLayer;
import dev.netstack.ip.internal.IpConfig;
import dev.netstack.ip.internal.Ipv4Layer;
import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.runtime.EventLoop;
import dev.netstack.tcp.TcpConnection;
import dev.netstack.tcp.TcpError;
import dev.netstack.tcp.TcpHandler;
import dev.netstack.tcp.TcpOptions;
import dev.netstack.tcp.internal.TcpConfig;
import dev.netstack.tcp.internal.TcpStack;
import dev.netstack.test.MemoryLink;
import dev.netstack.test.Simulation;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Proxy;
import java.util.Map;

/**
 * Two simulated hosts over a {@link MemoryLink}: a client (198.18.0.1) with a bare TCP stack and a
 * server (198.18.0.2) running {@link DemoServices}, on manual event loops and a virtual clock.
 */
final class DemoHosts {

    static final int SERVER = Ipv4Address.parse("198.18.0.2");

    final Simulation sim;
    final Host client;
    final Host server;
    final DemoServices demo;

    static final class Host {
        final EventLoop loop;
        final EthernetLayer ethernet;
        final Ipv4Layer ip;
        final TcpStack tcp;

        Host(EventLoop loop, MemoryLink.End device, String cidr, long seed) {
            this.loop = loop;
            this.ethernet = new EthernetLayer(config(EthernetConfig.class, Map.of()), loop);
            this.ip = new Ipv4Layer(ethernet, loop, config(IpConfig.class, Map.of()));
            ethernet.addHandler(0x0800, ip);
            ethernet.addListener(ip);
            this.tcp = new TcpStack(config(TcpConfig.class, Map.of()), loop, ip, seed);
            ip.bindProtocol(6, tcp);
            ethernet.addDevice(device, "eth0");
            ip.assignAddress("eth0", Ipv4Address.parseCidr(cidr));
        }
    }

    DemoHosts(long seed, Map<String, Object> demoConfig) {
        System.out.println("seed " + seed);
        sim = new Simulation(seed);
        MemoryLink link = MemoryLink.builder().capacity(1024).buffers(4096).build();
        client = new Host(sim.addLoop(0), link.a(), "198.18.0.1/24", sim.random().nextLong());
        server = new Host(sim.addLoop(1), link.b(), "198.18.0.2/24", sim.random().nextLong());
        java.util.HashMap<String, Object> values = new java.util.HashMap<>(Map.of("enabled", true));
        values.putAll(demoConfig);
        demo = new DemoServices(config(DemoConfig.class, values), server.tcp, server.loop);
        demo.addCounters(server.tcp.counters());
    }

    /** Connects to {@code port} of the server, sends {@code request} (then FIN if {@code shutdown}), collects the answer. */
    Client connect(int port, byte[] request, boolean shutdown) {
        Client c = new Client(request, shutdown);
        c.connection = client.tcp.connect(SERVER, port, 0, 0, TcpOptions.defaults(), c);
        return c;
    }

    Client run(Client c) {
        if (!sim.runUntil(() -> c.closed != null, 600_000_000_000L)) {
            throw new AssertionError("connection did not close: " + c);
        }
        return c;
    }

    /** A client that sends its request and records everything it receives. */
    static final class Client implements TcpHandler {
        final byte[] request;
        final boolean shutdown;
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        final MemorySegment scratch = MemorySegment.ofArray(new byte[65536]);
        TcpConnection connection;
        int sent;
        boolean eof;
        TcpError closed;

        Client(byte[] request, boolean shutdown) {
            this.request = request;
            this.shutdown = shutdown;
        }

        @Override
        public void onConnected(TcpConnection c) {
            write(c);
        }

        @Override
        public void onWritable(TcpConnection c) {
            write(c);
        }

        @Override
        public void onReadable(TcpConnection c) {
            read(c);
        }

        @Override
        public void onPeerClosed(TcpConnection c) {
            read(c);
        }

        @Override
        public void onClosed(TcpConnection c, TcpError reason) {
            closed = reason;
        }

        private void write(TcpConnection c) {
            while (sent < request.length) {
                int n = c.send(MemorySegment.ofArray(request), sent, request.length - sent);
                if (n <= 0) {
                    return;
                }
                sent += n;
            }
            if (shutdown) {
                c.shutdownOutput();
            }
        }

        private void read(TcpConnection c) {
            int n;
            while ((n = c.receive(scratch, 0, 65536)) > 0) {
                received.write(scratch.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), 0, n);
            }
            if (n < 0 && !eof) {
                eof = true;
                if (!shutdown) {
                    c.close();
                }
            }
        }

        byte[] bytes() {
            return received.toByteArray();
        }

        String text() {
            return received.toString(java.nio.charset.StandardCharsets.ISO_8859_1);
        }

        @Override
        public String toString() {
            return "client sent " + sent + "/" + request.length + " received " + received.size() + " eof " + eof
                    + " closed " + closed + " state " + (connection == null ? "-" : connection.state());
        }
    }

    /** A configuration annotation: its defaults, overridden by {@code values} (keyed by method name). */
    @SuppressWarnings("unchecked")
    static <A> A config(Class<A> type, Map<String, Object> values) {
        return (A) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            if (method.getName().equals("annotationType")) {
                return type;
            }
            if (values.containsKey(method.getName())) {
                return values.get(method.getName());
            }
            Object value = method.getDefaultValue();
            if (value != null) {
                return value;
            }
            return switch (method.getName()) {
                case "hashCode" -> 0;
                case "toString" -> type.getSimpleName();
                default -> Boolean.FALSE;
            };
        });
    }
}
