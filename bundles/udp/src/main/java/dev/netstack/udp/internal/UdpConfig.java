package dev.netstack.udp.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration PID {@code netstack.udp}. Attribute names map {@code _} to {@code .}. */
@ObjectClassDefinition(name = "netstack UDP")
public @interface UdpConfig {

    @AttributeDefinition(description = "First port of the ephemeral range (RFC 6056 §2.1 suggests 49152)")
    int ephemeral_low() default 49_152;

    @AttributeDefinition(description = "Last port of the ephemeral range")
    int ephemeral_high() default 65_535;

    @AttributeDefinition(description = "Datagrams a socket queues before it drops (default for new sockets)")
    int receive_queue_datagrams() default 256;

    @AttributeDefinition(description = "Bytes of buffers a socket queues before it drops (default for new sockets)")
    int receive_queue_bytes() default 212_992;

    @AttributeDefinition(description = "Accept received datagrams without a checksum (field 0, RFC 768); "
            + "false drops them")
    boolean checksum_accept_zero() default true;

    @AttributeDefinition(description = "64 KiB buffers for sending datagrams larger than the MTU")
    int large_buffers() default 4;
}
