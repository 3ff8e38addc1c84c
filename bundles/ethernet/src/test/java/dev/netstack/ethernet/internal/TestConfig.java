package dev.netstack.ethernet.internal;

import java.lang.annotation.Annotation;

/** An {@link EthernetConfig} for tests, with the defaults of the annotation unless changed. */
final class TestConfig implements EthernetConfig {

    long timeoutMs = 60_000;
    int cacheSize = 1024;
    int retries = 3;
    long retryMs = 1000;
    int queuePackets = 64;
    String[] multicast = {};

    @Override
    public long arp_timeout_ms() {
        return timeoutMs;
    }

    @Override
    public int arp_cache_size() {
        return cacheSize;
    }

    @Override
    public int arp_retries() {
        return retries;
    }

    @Override
    public long arp_retry_ms() {
        return retryMs;
    }

    @Override
    public int arp_queue_packets() {
        return queuePackets;
    }

    @Override
    public String[] multicast() {
        return multicast;
    }

    @Override
    public Class<? extends Annotation> annotationType() {
        return EthernetConfig.class;
    }
}
