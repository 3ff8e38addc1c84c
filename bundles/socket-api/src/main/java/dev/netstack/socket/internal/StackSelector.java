package dev.netstack.socket.internal;

import dev.netstack.socket.Socket;
import dev.netstack.socket.SocketError;
import dev.netstack.socket.SocketException;
import dev.netstack.socket.SocketKey;
import dev.netstack.socket.SocketSelector;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import org.jctools.queues.MpscArrayQueue;

/**
 * A level-triggered selector. The shard signals a key when its socket's readiness may have risen:
 * the key goes once (a flag dedupes) into an MPSC queue and the selecting thread is unparked.
 * {@link #select} re-checks the signalled keys plus those ready last time, parks while none is
 * ready, and leaves the ready ones in {@link #readyKeys()}. If the signal queue ever overflows, the
 * next select re-checks every key.
 */
final class StackSelector implements SocketSelector {

    private static final int SIGNAL_QUEUE = 1 << 16;

    private final MpscArrayQueue<Key> signalled = new MpscArrayQueue<>(SIGNAL_QUEUE);
    private final Set<Key> keys = ConcurrentHashMap.newKeySet();
    private ArrayList<Key> ready = new ArrayList<>();
    private ArrayList<Key> candidates = new ArrayList<>();
    private final List<SocketKey> readyView;
    private volatile Thread selecting;
    private volatile boolean wakeup;
    private volatile boolean overflow;
    private volatile boolean open = true;

    StackSelector() {
        this.readyView = new ReadyList();
    }

    @Override
    public SocketKey register(Socket socket, int interestOps, Object attachment) {
        if (!open) {
            throw new SocketException(SocketError.CLOSED, "the selector is closed");
        }
        StackSocket s = (StackSocket) socket;
        for (Key k : s.keys) {
            if (k.selector == this) {
                k.interestOps(interestOps);
                k.attach(attachment);
                return k;
            }
        }
        Key key = new Key(this, s, interestOps, attachment);
        keys.add(key);
        s.addKey(key);
        key.signal(); // it may be ready already
        return key;
    }

    @Override
    public int select(long timeoutMs) {
        long deadline = timeoutMs > 0 ? System.nanoTime() + timeoutMs * 1_000_000L : 0;
        selecting = Thread.currentThread();
        try {
            while (true) {
                collect();
                if (!ready.isEmpty() || wakeup || timeoutMs < 0 || !open) {
                    break;
                }
                if (!signalled.isEmpty() || overflow) {
                    continue;
                }
                if (!StackSocket.park(this, deadline)) {
                    collect();
                    break;
                }
            }
        } finally {
            selecting = null;
            wakeup = false;
        }
        return ready.size();
    }

    @Override
    public int selectNow() {
        return select(-1);
    }

    /** Builds the ready list from the keys ready last time and the ones signalled since. */
    private void collect() {
        ArrayList<Key> next = candidates;
        next.clear();
        for (int i = 0; i < ready.size(); i++) {
            Key k = ready.get(i);
            k.candidate = true;
            next.add(k);
        }
        if (overflow) {
            overflow = false;
            for (Key k : keys) {
                if (!k.candidate) {
                    k.candidate = true;
                    next.add(k);
                }
            }
        }
        Key k;
        while ((k = signalled.poll()) != null) {
            k.queued = 0;
            if (!k.candidate) {
                k.candidate = true;
                next.add(k);
            }
        }
        ArrayList<Key> out = ready;
        out.clear();
        for (int i = 0; i < next.size(); i++) {
            Key c = next.get(i);
            c.candidate = false;
            if (!c.valid) {
                continue;
            }
            int ops = c.socket.readyOps() & c.interest;
            c.readyOps = ops;
            if (ops != 0) {
                out.add(c);
            }
        }
        candidates = next;
    }

    @Override
    public List<SocketKey> readyKeys() {
        return readyView;
    }

    @Override
    public void wakeup() {
        wakeup = true;
        Thread t = selecting;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    @Override
    public void close() {
        open = false;
        for (Key k : keys) {
            k.cancel();
        }
        wakeup();
    }

    /** Shard or any thread: {@code key}'s readiness may have risen. Allocation-free. */
    void signal(Key key) {
        if (Key.QUEUED.compareAndSet(key, 0, 1)) {
            if (!signalled.offer(key)) {
                overflow = true;
            }
        }
        Thread t = selecting;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** A read-only view of the ready list that allocates nothing but its iterator. */
    private final class ReadyList extends java.util.AbstractList<SocketKey> {
        @Override
        public SocketKey get(int index) {
            return ready.get(index);
        }

        @Override
        public int size() {
            return ready.size();
        }
    }

    static final class Key implements SocketKey {

        static final VarHandle QUEUED;

        static {
            try {
                QUEUED = MethodHandles.lookup().findVarHandle(Key.class, "queued", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final StackSelector selector;
        final StackSocket socket;
        volatile int interest;
        volatile int queued;
        volatile Object attachment;
        volatile boolean valid = true;
        int readyOps;
        boolean candidate;

        Key(StackSelector selector, StackSocket socket, int interest, Object attachment) {
            this.selector = selector;
            this.socket = socket;
            this.interest = interest;
            this.attachment = attachment;
        }

        void signal() {
            if (valid) {
                selector.signal(this);
            }
        }

        @Override
        public Socket socket() {
            return (Socket) socket;
        }

        @Override
        public SocketSelector selector() {
            return selector;
        }

        @Override
        public int interestOps() {
            return interest;
        }

        @Override
        public SocketKey interestOps(int ops) {
            this.interest = ops;
            signal(); // re-evaluate at the next select
            return this;
        }

        @Override
        public int readyOps() {
            return readyOps;
        }

        @Override
        public Object attachment() {
            return attachment;
        }

        @Override
        public Object attach(Object value) {
            Object old = attachment;
            attachment = value;
            return old;
        }

        @Override
        public boolean isValid() {
            return valid;
        }

        @Override
        public void cancel() {
            if (valid) {
                valid = false;
                socket.removeKey(this);
                selector.keys.remove(this);
            }
        }
    }
}
