package dev.caravan.support;

import org.apache.camel.Consumer;
import org.apache.camel.Endpoint;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultEndpoint;
import org.apache.camel.support.DefaultMessage;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class OutboundHeadersTest {

    /** An endpoint of a component Camel has no header filter for, which says it leaves the process. */
    private static Endpoint endpoint(boolean remote) {
        return new DefaultEndpoint("fake:" + remote, null) {
            @Override
            public boolean isRemote() {
                return remote;
            }

            @Override
            public Producer createProducer() {
                throw new UnsupportedOperationException();
            }

            @Override
            public Consumer createConsumer(Processor processor) {
                throw new UnsupportedOperationException();
            }
        };
    }

    private static Message message() {
        Message m = new DefaultMessage(new DefaultCamelContext());
        m.setHeader("CamelCaravanRunId", "r-1");
        m.setHeader("camelcaravannodekey", "n");
        m.setHeader("CamelCaravanIdempotencyKey", "r-1/n/1");
        m.setHeader("CaravanToolName", "kb");
        m.setHeader("X-Trace", "t-1");
        return m;
    }

    @Test
    void aRemoteEndpointGetsNoneOfCaravansHeadersInEitherNamingButTheKeyAsIdempotencyKey() {
        Message m = message();
        OutboundHeaders.prepare(endpoint(true), m, "r-1/n/1");
        assertThat(m.getHeaders()).containsOnlyKeys("X-Trace", "Idempotency-Key")
                .containsEntry("Idempotency-Key", "r-1/n/1");
    }

    @Test
    void anInProcessEndpointGetsTheMessageAsItIs() {
        Message m = message();
        OutboundHeaders.prepare(endpoint(false), m, "r-1/n/1");
        assertThat(m.getHeaders()).containsOnlyKeys("CamelCaravanRunId", "camelcaravannodekey",
                "CamelCaravanIdempotencyKey", "CaravanToolName", "X-Trace");
    }

    @Test
    void camelsOwnHeadersAreNotCaravans() {
        assertThat(OutboundHeaders.isInternal("CamelHttpUri")).isFalse();
        assertThat(OutboundHeaders.isInternal("X-Caravan")).isFalse();
        assertThat(OutboundHeaders.isInternal("CAMELCARAVANRUNID")).isTrue();
    }
}
