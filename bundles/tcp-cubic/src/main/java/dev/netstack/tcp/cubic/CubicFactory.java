package dev.netstack.tcp.cubic;

import dev.netstack.tcp.CongestionControl;
import dev.netstack.tcp.CongestionControlFactory;
import org.osgi.service.component.annotations.Component;

/**
 * Creates {@link Cubic} state (with fast convergence) per connection. Registered by Declarative
 * Services as a {@link CongestionControlFactory} with {@code tcp.cc=cubic}; embedded users construct
 * it directly or let Guice do it. It has no dependencies and no configuration, so the implicit public
 * no-argument constructor serves both containers and the bundle imports nothing but the SPI package.
 */
@Component(service = CongestionControlFactory.class,
        property = CongestionControlFactory.NAME_PROPERTY + "=" + Cubic.NAME)
public final class CubicFactory implements CongestionControlFactory {

    @Override
    public String name() {
        return Cubic.NAME;
    }

    @Override
    public CongestionControl create(int mssBytes, long nowNs) {
        return new Cubic(mssBytes, nowNs);
    }

    @Override
    public CongestionControl recycle(CongestionControl previous, int mssBytes, long nowNs) {
        if (previous instanceof Cubic cubic && cubic.hasDefaultConfiguration() && mssBytes > 0) {
            cubic.reset(mssBytes);
            return cubic;
        }
        return create(mssBytes, nowNs);
    }
}
