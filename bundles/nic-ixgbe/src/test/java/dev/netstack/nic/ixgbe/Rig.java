package dev.netstack.nic.ixgbe;

import dev.netstack.nic.MacAddress;
import dev.netstack.nic.ixgbe.model.Model82599;
import dev.netstack.nic.ixgbe.model.ModelDma;

/** Driver plus model: opens an {@link IxgbeDevice} over a fresh {@link Model82599}. */
final class Rig implements AutoCloseable {

    static final long DEVICE_MAC = MacAddress.parse("02:00:5e:82:59:01");
    static final long PEER_MAC = MacAddress.parse("02:00:00:00:00:02");

    final ModelDma dma = new ModelDma();
    final Model82599 model = new Model82599(dma, DEVICE_MAC);
    IxgbeDevice device;

    static IxgbeSettings settings() {
        return IxgbeSettings.defaults("eth0", "model:0").withRings(64, 64, 256).withTimeouts(500_000_000L,
                500_000_000L);
    }

    Rig open(IxgbeSettings settings) {
        device = IxgbeDevice.open(model, dma, settings);
        return this;
    }

    @Override
    public void close() {
        if (device != null) {
            device.close();
        }
        dma.close();
    }
}
