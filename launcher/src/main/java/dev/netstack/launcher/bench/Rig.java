package dev.netstack.launcher.bench;

import dev.netstack.embedded.NetStack;
import dev.netstack.launcher.bench.BenchOptions.Env;
import dev.netstack.test.MemoryLink;
import dev.netstack.test.NetNs;
import java.util.ArrayList;
import java.util.List;

/**
 * One environment, set up: its two {@link Side}s and everything to tear down (stacks, namespaces).
 * {@code first} is the end under test (the stack in {@code tap}) and the client of the "tx"
 * cells; {@code second} the other end. Namespaces are named {@code bn-PID-N}.
 *
 * <pre>
 *   mem       stack 198.18.5.1 ══ MemoryLink ══ stack 198.18.5.2              (one process)
 *   tap       stack 198.18.6.2 ══ TAP bntap0 ══ kernel 198.18.6.1             (namespace bn-..)
 *   loopback  kernel 127.0.0.1  ══ lo ══ kernel 127.0.0.1                      (this namespace)
 *   veth      kernel 198.18.7.1 ══ veth bnva/bnvb ══ kernel 198.18.7.2         (two namespaces)
 *   dpdk      dpdk-testpmd txonly ══ net_tap bndp0 ══ kernel (counts, drops)  (namespace bn-..)
 * </pre>
 */
final class Rig implements AutoCloseable {

    static final String PREFIX = "bn-";

    final Env env;
    /** Null in {@code dpdk}, which has no sides. */
    final Side first;
    final Side second;
    /** For the packet I/O cells: the namespace of the kernel end (tap) or of the first end (veth). */
    final String namespace;
    /** The same as a {@link NetNs}, or null. */
    final NetNs netNs;
    private final List<AutoCloseable> resources;

    private Rig(Env env, Side first, Side second, NetNs netNs, List<AutoCloseable> resources) {
        this.env = env;
        this.first = first;
        this.second = second;
        this.netNs = netNs;
        this.namespace = netNs == null ? null : netNs.name();
        this.resources = resources;
    }

    static Rig create(Env env, String idle) {
        List<AutoCloseable> resources = new ArrayList<>();
        try {
            return switch (env) {
                case MEM -> {
                    MemoryLink link = MemoryLink.builder().capacity(4096).buffers(8192).build();
                    StackHost a = StackHost.start(NetStack.builder().device(link.a()).address("198.18.5.1/24"), idle);
                    resources.add(a);
                    StackHost b = StackHost.start(NetStack.builder().device(link.b()).address("198.18.5.2/24"), idle);
                    resources.add(b);
                    yield new Rig(env, new StackSide(a, "198.18.5.1"), new StackSide(b, "198.18.5.2"), null, resources);
                }
                case TAP, TAP2 -> {
                    NetNs ns = namespace(resources);
                    StackHost stack = StackHost.start(NetStack.builder().namespace(ns.name()).tap("bntap0")
                            .hostAddress("198.18.6.1/24").address("198.18.6.2/24").shards(env == Env.TAP2 ? 2 : 1), idle);
                    resources.add(stack);
                    KernelSide kernel = new KernelSide(ns.name(), "198.18.6.1");
                    resources.add(kernel);
                    yield new Rig(env, new StackSide(stack, "198.18.6.2"), kernel, ns, resources);
                }
                case LOOPBACK -> {
                    KernelSide a = new KernelSide(null, "127.0.0.1");
                    KernelSide b = new KernelSide(null, "127.0.0.1");
                    resources.add(a);
                    resources.add(b);
                    yield new Rig(env, a, b, null, resources);
                }
                case VETH -> {
                    NetNs a = namespace(resources);
                    NetNs b = namespace(resources);
                    a.veth("bnva", b, "bnvb");
                    a.address("bnva", "198.18.7.1/24");
                    b.address("bnvb", "198.18.7.2/24");
                    KernelSide ka = new KernelSide(a.name(), "198.18.7.1");
                    KernelSide kb = new KernelSide(b.name(), "198.18.7.2");
                    resources.add(ka);
                    resources.add(kb);
                    yield new Rig(env, ka, kb, a, resources);
                }
                case SHARD1, SHARD2 -> {
                    int shards = env == Env.SHARD1 ? 1 : 2;
                    MemoryLink link = MemoryLink.builder().capacity(4096).buffers(8192).queues(shards).build();
                    StackHost a = StackHost.start(NetStack.builder().device(link.a()).address("198.18.5.1/24")
                            .shards(shards), idle);
                    resources.add(a);
                    StackHost b = StackHost.start(NetStack.builder().device(link.b()).address("198.18.5.2/24")
                            .runOn(a.stack), idle);
                    resources.add(b); // closed first: it runs on a's threads
                    yield new Rig(env, new StackSide(a, "198.18.5.1"), new StackSide(b, "198.18.5.2"), null, resources);
                }
                case DPDK -> {
                    // No sides: testpmd alone, started per cell in this namespace (Workloads, Testpmd).
                    NetNs ns = namespace(resources);
                    yield new Rig(env, null, null, ns, resources);
                }
            };
        } catch (RuntimeException e) {
            closeAll(resources);
            throw e;
        }
    }

    /** A new namespace with this run's prefix, deleted with the rig. */
    static NetNs namespace(List<AutoCloseable> resources) {
        NetNs ns = NetNs.create(PREFIX);
        resources.add(ns);
        return ns;
    }

    /** Adds a resource closed with the rig (before what was there already). */
    void own(AutoCloseable resource) {
        resources.add(resource);
    }

    NetNs newNamespace() {
        return namespace(resources);
    }

    static void closeAll(List<AutoCloseable> resources) {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                System.err.println("netstack bench: closing " + resources.get(i) + ": " + e);
            }
        }
        resources.clear();
    }

    @Override
    public synchronized void close() {
        closeAll(resources);
    }
}
