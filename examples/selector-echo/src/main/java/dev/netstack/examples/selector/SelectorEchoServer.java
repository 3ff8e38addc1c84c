package dev.netstack.examples.selector;

import dev.netstack.socket.SocketException;
import dev.netstack.socket.SocketKey;
import dev.netstack.socket.SocketSelector;
import dev.netstack.socket.Sockets;
import dev.netstack.socket.StreamSocket;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * An event-driven echo server: one thread, non-blocking sockets, one {@link SocketSelector}. A
 * connection's unsent echo waits in its own buffer (the key's attachment) and the key asks for
 * {@code OP_WRITE} only while something waits.
 */
public final class SelectorEchoServer implements AutoCloseable {

    private final StreamSocket listener;
    private final SocketSelector selector;
    private final Thread thread;
    private volatile boolean running = true;

    public SelectorEchoServer(Sockets sockets, int port) {
        listener = sockets.openStream();
        listener.setReuseAddress(true);
        listener.bind(0, port);
        listener.listen(128);
        listener.setBlocking(false);
        selector = sockets.openSelector();
        selector.register(listener, SocketSelector.OP_ACCEPT, null);
        thread = Thread.ofPlatform().name("selector-echo").start(this::run);
    }

    private void run() {
        while (running) {
            selector.select(100);
            List<SocketKey> ready = selector.readyKeys();
            for (int i = 0; i < ready.size(); i++) {
                SocketKey key = ready.get(i);
                try {
                    if (key.socket() == listener) {
                        StreamSocket c;
                        while ((c = listener.accept()) != null) {
                            c.setBlocking(false);
                            selector.register(c, SocketSelector.OP_READ, ByteBuffer.allocate(16 * 1024));
                        }
                    } else {
                        serve(key);
                    }
                } catch (SocketException e) {
                    key.cancel();
                    key.socket().close();
                }
            }
        }
    }

    private static void serve(SocketKey key) {
        StreamSocket c = (StreamSocket) key.socket();
        ByteBuffer pending = (ByteBuffer) key.attachment();
        if ((key.readyOps() & SocketSelector.OP_READ) != 0 && pending.hasRemaining()) {
            int n = c.receive(pending);
            if (n < 0) {
                key.cancel();
                c.close();
                return;
            }
        }
        pending.flip();
        c.send(pending);
        pending.compact();
        // Read only while there is room; ask for write only while an echo waits.
        int ops = (pending.position() > 0 ? SocketSelector.OP_WRITE : 0) | (pending.hasRemaining() ? SocketSelector.OP_READ : 0);
        if (ops != key.interestOps()) {
            key.interestOps(ops);
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        selector.wakeup();
        thread.join();
        selector.close();
        listener.close();
    }
}
