package dev.netstack.udp.internal;

import dev.netstack.ethernet.internal.EthernetConfig;
import dev.netstack.ip.internal.IpConfig;
import java.lang.annotation.Annotation;

/** Configuration annotation instances for tests (what Guice users bind, too). */
final class TestConfigs {

    private TestConfigs() {
    }

    /** A UDP configuration: the annotation's defaults unless changed with the withers. */
    static final class Udp implements UdpConfig {
        int low = 49_152;
        int high = 65_535;
        int datagrams = 256;
        int bytes = 212_992;
        boolean acceptZero = true;
        int large = 4;

        Udp ephemeral(int low, int high) {
            this.low = low;
            this.high = high;
            return this;
        }

        Udp queue(int datagrams, int bytes) {
            this.datagrams = datagrams;
            this.bytes = bytes;
            return this;
        }

        Udp acceptZeroChecksum(boolean accept) {
            this.acceptZero = accept;
            return this;
        }

        @Override
        public int ephemeral_low() {
            return low;
        }

        @Override
        public int ephemeral_high() {
            return high;
        }

        @Override
        public int receive_queue_datagrams() {
            return datagrams;
        }

        @Override
        public int receive_queue_bytes() {
            return bytes;
        }

        @Override
        public boolean checksum_accept_zero() {
            return acceptZero;
        }

        @Override
        public int large_buffers() {
            return large;
        }

        @Override
        public Class<? extends Annotation> annotationType() {
            return UdpConfig.class;
        }
    }

    static Udp udp() {
        return new Udp();
    }

    static IpConfig ip() {
        return new IpConfig() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return IpConfig.class;
            }

            @Override
            public int ttl() {
                return 64;
            }

            @Override
            public long reassembly_timeout_ms() {
                return 30_000;
            }

            @Override
            public long reassembly_memory_bytes() {
                return 4L << 20;
            }

            @Override
            public int icmp_rate_per_second() {
                return 1000;
            }
        };
    }

    static EthernetConfig ethernet() {
        return new EthernetConfig() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return EthernetConfig.class;
            }

            @Override
            public long arp_timeout_ms() {
                return 60_000;
            }

            @Override
            public int arp_cache_size() {
                return 1024;
            }

            @Override
            public int arp_retries() {
                return 3;
            }

            @Override
            public long arp_retry_ms() {
                return 1000;
            }

            @Override
            public int arp_queue_packets() {
                return 64;
            }

            @Override
            public String[] multicast() {
                return new String[0];
            }
        };
    }
}
