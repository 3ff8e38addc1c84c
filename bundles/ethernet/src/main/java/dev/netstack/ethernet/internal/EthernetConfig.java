package dev.netstack.ethernet.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Configuration of the link layer, PID {@code netstack.ethernet}. Property names follow the DS
 * mapping of method names: {@code arp_timeout_ms} is {@code arp.timeout.ms}.
 */
@ObjectClassDefinition(name = "netstack Ethernet and ARP", description = "Ethernet II framing and the ARP cache.")
public @interface EthernetConfig {

    @AttributeDefinition(name = "ARP entry lifetime (ms)",
            description = "How long a learned neighbour stays reachable before it goes stale (RFC 1122 2.3.2.1).", min = "1")
    long arp_timeout_ms() default 60_000;

    @AttributeDefinition(name = "ARP cache size", description = "Entries in the ARP cache; the oldest dynamic one is evicted when full.", min = "1")
    int arp_cache_size() default 1024;

    @AttributeDefinition(name = "ARP requests", description = "Requests sent for one address before resolution fails.", min = "1")
    int arp_retries() default 3;

    @AttributeDefinition(name = "ARP retry interval (ms)", min = "1")
    long arp_retry_ms() default 1000;

    @AttributeDefinition(name = "Packets waiting for ARP",
            description = "Packets held while their next hop is resolved, over all addresses.", min = "1")
    int arp_queue_packets() default 128;

    @AttributeDefinition(name = "Multicast MACs", description = "Multicast MAC addresses accepted besides our own and broadcast, like 01:00:5e:00:00:01.")
    String[] multicast() default {};
}
