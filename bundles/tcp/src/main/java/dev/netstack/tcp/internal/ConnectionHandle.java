package dev.netstack.tcp.internal;

import dev.netstack.nic.PacketBuffer;
import dev.netstack.tcp.TcpConnection;
import dev.netstack.tcp.TcpConnectionInfo;
import dev.netstack.tcp.TcpError;
import dev.netstack.tcp.TcpHandler;
import dev.netstack.tcp.TcpState;
import java.lang.foreign.MemorySegment;

/**
 * The {@link TcpConnection} an application holds: a small handle on a pooled {@link Tcb}.
 *
 * <p>Connection blocks are pooled per stack ({@link TcpStack#newTcb}): when a connection has ended,
 * its {@link Tcb} (with its SACK scoreboard, out-of-order ranges, timers and congestion control
 * state) is reset and serves a later connection, so short connections allocate only this handle.
 * An application may keep its reference to a connection long after it ended, so it never gets the
 * {@link Tcb} itself: each incarnation gets a new handle, and when the block goes back to the pool
 * the handle is <em>detached</em> ({@link #detach}): it keeps the final error and the 4-tuple and
 * answers every call as a closed connection whose handler heard {@code onClosed} does (sends and
 * receives return -1, buffers handed to it are released, a handler set on it hears nothing). A
 * stale handle can therefore never reach the connection that now uses its block. 32 bytes.
 *
 * <p>An application that promised to let go of the handle when it hears {@code onClosed}
 * ({@code TcpOptions.handleReuse}) gets no such protection and no such cost: the handle is not
 * detached but kept with the pooled block ({@code Tcb.spareHandle}) and given to its next
 * connection, so short connections allocate nothing.
 *
 * <pre>
 *   application ──▶ ConnectionHandle ──tcb──▶ Tcb ◀── ConnectionTable, timers, accept queue
 *                   (one per connection)       (pooled; tcb.handle is its current handle)
 * </pre>
 *
 * <p>A block is recycled only when the application cannot need it any more: it is CLOSED, no
 * received data waits for the application, and {@code onClosed} reached a handler unless the
 * handle never left the stack (see {@link TcpStack#reclaim}). Shard-confined, like the
 * {@link Tcb}.
 */
final class ConnectionHandle implements TcpConnection {

    /** The connection block, or null once detached. */
    private Tcb tcb;
    private TcpError finalError = TcpError.NONE;
    private int localAddress;
    private int remoteAddress;
    /** Local port in the high 16 bits, remote port in the low. */
    private int ports;

    ConnectionHandle(Tcb tcb) {
        this.tcb = tcb;
    }

    /** The block behind {@code connection} (tests and the stack's own callbacks), or null if detached. */
    static Tcb tcbOf(TcpConnection connection) {
        return connection instanceof ConnectionHandle h ? h.tcb : (Tcb) connection;
    }

    /** The block, or null once it went back to the pool. */
    Tcb tcb() {
        return tcb;
    }

    /** The block goes back to the pool: keep what a closed connection still tells, forget the block. */
    void detach() {
        Tcb t = tcb;
        finalError = t.error;
        localAddress = t.localAddress;
        remoteAddress = t.remoteAddress;
        ports = t.localPort << 16 | t.remotePort;
        tcb = null;
    }

    boolean detached() {
        return tcb == null;
    }

    @Override
    public TcpState state() {
        Tcb t = tcb;
        return t != null ? t.state() : TcpState.CLOSED;
    }

    @Override
    public TcpError error() {
        Tcb t = tcb;
        return t != null ? t.error() : finalError;
    }

    @Override
    public int localAddress() {
        Tcb t = tcb;
        return t != null ? t.localAddress() : localAddress;
    }

    @Override
    public int localPort() {
        Tcb t = tcb;
        return t != null ? t.localPort() : ports >>> 16;
    }

    @Override
    public int remoteAddress() {
        Tcb t = tcb;
        return t != null ? t.remoteAddress() : remoteAddress;
    }

    @Override
    public int remotePort() {
        Tcb t = tcb;
        return t != null ? t.remotePort() : ports & 0xFFFF;
    }

    @Override
    public void setHandler(TcpHandler handler) {
        Tcb t = tcb;
        if (t != null) {
            t.setHandler(handler);
        } // else: onClosed was delivered before the block was pooled; nothing follows it
    }

    @Override
    public int send(MemorySegment src, long offset, int length) {
        Tcb t = tcb;
        return t != null ? t.send(src, offset, length) : -1;
    }

    @Override
    public int send(PacketBuffer data) {
        Tcb t = tcb;
        if (t != null) {
            return t.send(data);
        }
        data.release();
        return -1;
    }

    @Override
    public PacketBuffer allocate() {
        Tcb t = tcb;
        return t != null ? t.allocate() : null;
    }

    @Override
    public int maxSegmentBytes() {
        Tcb t = tcb;
        return t != null ? t.maxSegmentBytes() : TcpConnection.super.maxSegmentBytes();
    }

    @Override
    public int writableBytes() {
        Tcb t = tcb;
        return t != null ? t.writableBytes() : 0;
    }

    @Override
    public int sendQueueBytes() {
        Tcb t = tcb;
        return t != null ? t.sendQueueBytes() : 0;
    }

    @Override
    public int receive(MemorySegment dst, long offset, int max) {
        Tcb t = tcb;
        return t != null ? t.receive(dst, offset, max) : -1;
    }

    @Override
    public int readableBytes() {
        Tcb t = tcb;
        return t != null ? t.readableBytes() : 0;
    }

    @Override
    public void setZeroCopyReceive(boolean enabled) {
        Tcb t = tcb;
        if (t != null) {
            t.setZeroCopyReceive(enabled);
        }
    }

    @Override
    public boolean zeroCopyReceive() {
        Tcb t = tcb;
        return t != null && t.zeroCopyReceive();
    }

    @Override
    public PacketBuffer receiveBuffer() {
        Tcb t = tcb;
        return t != null ? t.receiveBuffer() : null;
    }

    @Override
    public void release(PacketBuffer buffer) {
        Tcb t = tcb;
        if (t != null) {
            t.release(buffer);
        } else {
            buffer.release(); // the connection is gone: nothing is charged any more
        }
    }

    @Override
    public int heldBuffers() {
        Tcb t = tcb;
        return t != null ? t.heldBuffers() : 0;
    }

    @Override
    public void shutdownOutput() {
        Tcb t = tcb;
        if (t != null) {
            t.shutdownOutput();
        }
    }

    @Override
    public void close() {
        Tcb t = tcb;
        if (t != null) {
            t.close();
        }
    }

    @Override
    public void abort() {
        Tcb t = tcb;
        if (t != null) {
            t.abort();
        }
    }

    @Override
    public void setNoDelay(boolean noDelay) {
        Tcb t = tcb;
        if (t != null) {
            t.setNoDelay(noDelay);
        }
    }

    @Override
    public void setKeepAlive(boolean enabled, int idleMs, int intervalMs, int count) {
        Tcb t = tcb;
        if (t != null) {
            t.setKeepAlive(enabled, idleMs, intervalMs, count);
        }
    }

    @Override
    public void setLinger(int lingerMs) {
        Tcb t = tcb;
        if (t != null) {
            t.setLinger(lingerMs);
        }
    }

    @Override
    public void setBufferSizes(int sendBytes, int receiveBytes) {
        Tcb t = tcb;
        if (t != null) {
            t.setBufferSizes(sendBytes, receiveBytes);
        }
    }

    @Override
    public boolean setCongestionControl(String name) {
        Tcb t = tcb;
        return t != null && t.setCongestionControl(name);
    }

    @Override
    public TcpConnectionInfo info() {
        Tcb t = tcb;
        if (t != null) {
            return t.info();
        }
        return new TcpConnectionInfo(localAddress, ports >>> 16, remoteAddress, ports & 0xFFFF, TcpState.CLOSED,
                0, 0, 0, Long.MAX_VALUE, 0, 0, 0, 0, 0, "");
    }

    @Override
    public String toString() {
        Tcb t = tcb;
        return t != null ? t.toString()
                : "Tcb[" + dev.netstack.ip.wire.Ipv4Address.format(localAddress) + ":" + (ports >>> 16) + " > "
                        + dev.netstack.ip.wire.Ipv4Address.format(remoteAddress) + ":" + (ports & 0xFFFF) + " CLOSED]";
    }
}
