package dev.netstack.nio.internal;

import dev.netstack.embedded.NetStack;
import dev.netstack.nio.NetstackSelectorProvider;
import dev.netstack.test.MemoryLink;

/** Two embedded stacks with TCP, UDP and sockets over a MemoryLink: A 198.18.40.1, B 198.18.40.2. */
final class StackPair implements AutoCloseable {

    final MemoryLink link = MemoryLink.builder().capacity(4096).buffers(8192).build();
    final EmbeddedBootstrap.Stack a = EmbeddedBootstrap.start(NetStack.builder().device(link.a()).address("198.18.40.1/24"));
    final EmbeddedBootstrap.Stack b = EmbeddedBootstrap.start(NetStack.builder().device(link.b()).address("198.18.40.2/24"));
    final NetstackSelectorProvider providerA = new NetstackSelectorProvider(a.sockets());
    final NetstackSelectorProvider providerB = new NetstackSelectorProvider(b.sockets());

    @Override
    public void close() {
        a.netStack().close();
        b.netStack().close();
    }
}
