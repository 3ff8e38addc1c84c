package dev.netstack.tcp.internal;

import dev.netstack.tcp.TcpConnection;
import dev.netstack.tcp.TcpError;
import dev.netstack.tcp.TcpListener;
import dev.netstack.tcp.TcpListenerHandler;
import dev.netstack.tcp.TcpOptions;
import java.util.ArrayDeque;

/** A LISTEN entry: its options, its half-open count and its accept queue. Shard-confined. */
final class Listener implements TcpListener {

    final TcpStack stack;
    final int localAddress;
    final int localPort;
    final TcpOptions options;
    final TcpListenerHandler handler;
    final int backlog;
    final ArrayDeque<Tcb> acceptQueue;
    /** Connections in SYN_RECEIVED (the SYN queue). */
    int synCount;
    /** Whether this listener has answered a SYN with a cookie, and when it last did. */
    boolean cookiesSent;
    long lastCookieNs;
    boolean open = true;
    /** Next listener on the same port (another local address). */
    Listener next;

    Listener(TcpStack stack, int localAddress, int localPort, TcpOptions options, TcpListenerHandler handler,
            int backlog) {
        this.stack = stack;
        this.localAddress = localAddress;
        this.localPort = localPort;
        this.options = options;
        this.handler = handler;
        this.backlog = backlog;
        this.acceptQueue = new ArrayDeque<>(Math.min(backlog, 1024));
    }

    @Override
    public int localAddress() {
        return localAddress;
    }

    @Override
    public int localPort() {
        return localPort;
    }

    @Override
    public TcpConnection accept() {
        Tcb tcb = acceptQueue.poll();
        if (tcb != null) {
            tcb.inAcceptQueue = false;
            tcb.listener = null;
            tcb.escaped = true;
            return tcb.handle;
        }
        return null;
    }

    @Override
    public int acceptQueueLength() {
        return acceptQueue.size();
    }

    @Override
    public void close() {
        if (open) {
            stack.closeListener(this, TcpError.NONE);
        }
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public String toString() {
        return "Listener[" + dev.netstack.ip.wire.Ipv4Address.format(localAddress) + ":" + localPort + "]";
    }
}
