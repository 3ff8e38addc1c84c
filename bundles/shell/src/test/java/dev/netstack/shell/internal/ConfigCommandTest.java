package dev.netstack.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.util.Dictionary;
import java.util.Hashtable;
import org.junit.jupiter.api.Test;
import org.osgi.service.cm.Configuration;

class ConfigCommandTest {

    private static Configuration configuration(String pid, String factoryPid, Object... keyValues) {
        Configuration configuration = mock(Configuration.class);
        when(configuration.getPid()).thenReturn(pid);
        when(configuration.getFactoryPid()).thenReturn(factoryPid);
        Dictionary<String, Object> properties = new Hashtable<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            properties.put((String) keyValues[i], keyValues[i + 1]);
        }
        when(configuration.getProperties()).thenReturn(properties);
        return configuration;
    }

    private final Configuration[] configurations = {
        configuration("nic.tap~eth0", "nic.tap", "service.pid", "nic.tap~eth0", "service.factoryPid", "nic.tap",
                "felix.fileinstall.filename", "file:/tmp/etc/nic.tap-eth0.cfg", "tap", "ns0", "mtu", "1500"),
        configuration("netstack.ip", null, "service.pid", "netstack.ip", "ttl", "64", "multicast", new String[] {"a", "b"}),
    };

    @Test
    void listsConfigurationsByPidWithoutBookkeepingProperties() {
        assertEquals("""
                netstack.ip
                  multicast = [a, b]
                  ttl = 64
                nic.tap~eth0 (factory nic.tap)
                  mtu = 1500
                  tap = ns0
                """, ConfigCommand.format(configurations, null));
    }

    @Test
    void filtersByPidOrFactoryPid() {
        assertEquals("netstack.ip\n  multicast = [a, b]\n  ttl = 64\n", ConfigCommand.format(configurations, "netstack.ip"));
        assertEquals("nic.tap~eth0 (factory nic.tap)\n  mtu = 1500\n  tap = ns0\n", ConfigCommand.format(configurations, "nic.tap"));
        assertEquals("no configuration for 'nic.virtio'\n", ConfigCommand.format(configurations, "nic.virtio"));
        assertEquals("no configurations\n", ConfigCommand.format(null, null));
    }
}
