package dev.netstack.ip.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration PID {@code netstack.ip}. Attribute names map {@code _} to {@code .}. */
@ObjectClassDefinition(name = "netstack IPv4")
public @interface IpConfig {

    @AttributeDefinition(description = "TTL of datagrams this host sends (RFC 1122 §3.2.1.7)")
    int ttl() default 64;

    @AttributeDefinition(description = "How long fragments wait for the rest of their datagram (ms)")
    long reassembly_timeout_ms() default 30_000;

    @AttributeDefinition(description = "Memory for reassembly, in 64 KiB buffers allocated at start (bytes)")
    long reassembly_memory_bytes() default 4L << 20;

    @AttributeDefinition(description = "ICMP error messages sent per second at most (token bucket)")
    int icmp_rate_per_second() default 100;
}
