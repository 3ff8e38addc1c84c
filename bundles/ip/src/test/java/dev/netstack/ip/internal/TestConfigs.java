package dev.netstack.ip.internal;

import java.lang.annotation.Annotation;

/** Configuration annotation instances for tests (what Guice users bind, too). */
final class TestConfigs {

    private TestConfigs() {
    }

    static IpConfig ip(int ttl, long reassemblyTimeoutMs, long reassemblyMemoryBytes, int icmpRatePerSecond) {
        return new IpConfig() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return IpConfig.class;
            }

            @Override
            public int ttl() {
                return ttl;
            }

            @Override
            public long reassembly_timeout_ms() {
                return reassemblyTimeoutMs;
            }

            @Override
            public long reassembly_memory_bytes() {
                return reassemblyMemoryBytes;
            }

            @Override
            public int icmp_rate_per_second() {
                return icmpRatePerSecond;
            }
        };
    }

    static IpConfig defaults() {
        return ip(64, 30_000, 4L << 20, 100);
    }
}
