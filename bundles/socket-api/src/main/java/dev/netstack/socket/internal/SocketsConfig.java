package dev.netstack.socket.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration PID {@code netstack.socket}. Attribute names map {@code _} to {@code .}. */
@ObjectClassDefinition(name = "netstack sockets")
public @interface SocketsConfig {

    @AttributeDefinition(description = "Bytes of each of a socket's two rings between the application and the "
            + "shard (a power of two; a datagram socket needs room for its largest datagram)")
    int ring_bytes() default 64 * 1024;

    @AttributeDefinition(description = "Buffers of the socket layer's pool for zero-copy sends and receives")
    int pool_buffers() default 4096;
}
