package dev.netstack.nio.internal;

import dev.netstack.socket.Socket;

/** A channel of this provider: the stack socket a {@link NetstackSelector} registers. */
public interface StackChannel {

    Socket stackSocket();
}
