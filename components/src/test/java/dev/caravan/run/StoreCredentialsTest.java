package dev.caravan.run;

import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.PropertiesComponent;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The store's user and password come from the Camel properties or, as every other setting, from the environment:
 * in Kubernetes a Secret reaches the server as {@code CARAVAN_STORE_PASSWORD}.
 */
class StoreCredentialsTest {

    /** The environment as Camel's {@code IOHelper.lookupEnvironmentVariable} maps a key: upper case, underscores. */
    private static String environment(String key) {
        return Map.of("CARAVAN_STORE_USER", "from-env", "CARAVAN_STORE_PASSWORD", "env-secret")
                .get(key.toUpperCase().replace('.', '_').replace('-', '_'));
    }

    @Test
    void readsTheCredentialsFromTheEnvironmentWhenNoPropertySetsThem() throws Exception {
        try (DefaultCamelContext camel = new DefaultCamelContext()) {
            PropertiesComponent properties = camel.getPropertiesComponent();

            assertThat(Engine.credential(properties, "caravan.store.user", StoreCredentialsTest::environment))
                    .contains("from-env");
            assertThat(Engine.credential(properties, "caravan.store.password", StoreCredentialsTest::environment))
                    .contains("env-secret");
        }
    }

    @Test
    void aCamelPropertyWinsOverTheEnvironment() throws Exception {
        try (DefaultCamelContext camel = new DefaultCamelContext()) {
            PropertiesComponent properties = camel.getPropertiesComponent();
            properties.addOverrideProperty("caravan.store.password", "from-command-line");

            assertThat(Engine.credential(properties, "caravan.store.password", StoreCredentialsTest::environment))
                    .contains("from-command-line");
        }
    }

    @Test
    void isEmptyWhenNeitherSetsIt() throws Exception {
        try (DefaultCamelContext camel = new DefaultCamelContext()) {
            assertThat(Engine.credential(camel.getPropertiesComponent(), "caravan.store.password", key -> null))
                    .isEmpty();
        }
    }
}
