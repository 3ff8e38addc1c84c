package dev.netstack.nic.tap.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.netstack.nic.CapturingDevice;
import dev.netstack.nic.FaultInjectingDevice;
import dev.netstack.nic.NetDevice;
import dev.netstack.nic.tap.Netns;
import dev.netstack.nic.tap.TapException;
import dev.netstack.nic.tap.TapSettings;
import java.lang.reflect.Proxy;
import java.util.Dictionary;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

class TapComponentTest {

    /** A configuration as DS would build it: the given properties, annotation defaults for the rest. */
    static TapConfiguration config(Map<String, Object> properties) {
        return (TapConfiguration) Proxy.newProxyInstance(TapConfiguration.class.getClassLoader(),
                new Class<?>[] {TapConfiguration.class}, (proxy, method, args) -> {
                    String key = method.getName().replace('_', '.');
                    if (properties.containsKey(key)) {
                        return properties.get(key);
                    }
                    if (method.getName().equals("annotationType")) {
                        return TapConfiguration.class;
                    }
                    return method.getDefaultValue();
                });
    }

    @Test
    void defaultsMatchTheAgreedConfiguration() {
        TapSettings s = TapComponent.settings(config(Map.of()));
        assertEquals("eth0", s.name());
        assertEquals("ns0", s.tapName());
        assertEquals(TapSettings.defaultMac("ns0"), s.macAddress());
        assertEquals(1500, s.mtu());
        assertFalse(s.configuresHost());
        assertEquals(4096, s.poolBuffers());
        assertTrue(s.offload(), "offloads are on unless configured off");
        assertEquals(1, s.queues());
    }

    @Test
    void mapsEveryProperty() {
        TapSettings s = TapComponent.settings(config(Map.of("name", "eth1", "tap", "ns1", "mac", "02:00:00:00:00:09",
                "mtu", 1280, "host.address", "198.18.1.1/24", "pool.buffers", 128, "offload", false, "queues", 4)));
        assertEquals(new TapSettings("eth1", "ns1", 0x0200_0000_0009L, 1280, 0xC612_0101, 24, 128, false, 4), s);
    }

    @Test
    void badFaultSettingsFailRegistrationWithTheSettingNamed() throws Exception {
        Netns.assumeRootWithTun();
        try (Netns ns = Netns.create()) {
            TapComponent component = ns.call(() -> new TapComponent(config(Map.of("name", "eth8", "tap", "nsbcomp1"))));
            try {
                BundleContext context = mock(BundleContext.class);
                TapException e = assertThrows(TapException.class,
                        () -> component.register(context, Map.of("name", "eth8", "fault.drop", "1.5")));
                assertEquals(TapException.Reason.BAD_CONFIGURATION, e.reason());
                assertTrue(e.getMessage().contains("fault.drop"), e.getMessage());
            } finally {
                component.close();
            }
        }
    }

    @Test
    void badConfigurationFailsActivationWithTheSettingNamed() {
        TapException e = assertThrows(TapException.class,
                () -> new TapComponent(config(Map.of("host.address", "198.18.1.1"))));
        assertEquals(TapException.Reason.BAD_CONFIGURATION, e.reason());
        assertTrue(e.getMessage().startsWith("The host address (host.address) '198.18.1.1'"), e.getMessage());
    }

    @Test
    @SuppressWarnings("unchecked")
    void registersTheDecoratedDeviceUnderItsInterfaceNameAndClosesItOnDeactivate() throws Exception {
        Netns.assumeRootWithTun();
        try (Netns ns = Netns.create()) {
            TapComponent component = ns.call(() -> new TapComponent(config(Map.of("name", "eth7", "tap", "nsbcomp0",
                    "host.address", "198.18.7.1/24"))));
            try {
                BundleContext context = mock(BundleContext.class);
                ServiceRegistration<NetDevice> registration = mock(ServiceRegistration.class);
                when(context.registerService(eq(NetDevice.class), any(NetDevice.class), any(Dictionary.class)))
                        .thenReturn(registration);
                component.register(context, Map.of("name", "eth7", "fault.drop", "0.1"));

                ArgumentCaptor<Dictionary<String, Object>> properties = ArgumentCaptor.forClass(Dictionary.class);
                ArgumentCaptor<NetDevice> registered = ArgumentCaptor.forClass(NetDevice.class);
                verify(context).registerService(eq(NetDevice.class), registered.capture(), properties.capture());
                // fault.drop asks for fault injection; capture is always available for the shell.
                CapturingDevice capturing = assertInstanceOf(CapturingDevice.class, registered.getValue());
                FaultInjectingDevice faulted = assertInstanceOf(FaultInjectingDevice.class, capturing.inner());
                assertEquals(0.1, faulted.plan().drop());
                assertSame(component.device(), faulted.inner());
                assertEquals("eth7", properties.getValue().get(NetDevice.NAME_PROPERTY));
                assertEquals("nsbcomp0", properties.getValue().get("nic.tap"));
                assertEquals(0, ns.ip("link", "show", "dev", "nsbcomp0").exit());

                component.close();
                verify(registration).unregister();
                assertNotEquals(0, ns.ip("link", "show", "dev", "nsbcomp0").exit(), "TAP removed on deactivate");
            } finally {
                component.close();
            }
        }
    }
}
