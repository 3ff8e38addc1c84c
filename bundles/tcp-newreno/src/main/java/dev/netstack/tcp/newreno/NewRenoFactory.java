package dev.netstack.tcp.newreno;

import dev.netstack.tcp.CongestionControl;
import dev.netstack.tcp.CongestionControlFactory;
import org.osgi.service.component.annotations.Component;

/**
 * Creates {@link NewReno} state per connection. Registered by Declarative Services as a
 * {@link CongestionControlFactory} with {@code tcp.cc=newreno}; embedded users construct it
 * directly or let Guice do it. It has no dependencies and no configuration, so the implicit public
 * no-argument constructor serves both containers: DS and Guice (a just-in-time binding) need no
 * {@code @Activate} or {@code @Inject} on it, and the bundle imports nothing but the SPI package.
 */
@Component(service = CongestionControlFactory.class,
        property = CongestionControlFactory.NAME_PROPERTY + "=" + NewReno.NAME)
public final class NewRenoFactory implements CongestionControlFactory {

    @Override
    public String name() {
        return NewReno.NAME;
    }

    @Override
    public CongestionControl create(int mssBytes, long nowNs) {
        return new NewReno(mssBytes, nowNs);
    }

    @Override
    public CongestionControl recycle(CongestionControl previous, int mssBytes, long nowNs) {
        if (previous instanceof NewReno reno && mssBytes > 0) {
            reno.reset(mssBytes);
            return reno;
        }
        return create(mssBytes, nowNs);
    }
}
