package dev.caravan.app.serve;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ApiKeysTest {

    @Test
    void hashesAsSha256sumDoes() {
        // printf %s secret | sha256sum
        assertThat(ApiKeys.hash("secret"))
                .isEqualTo("2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b");
    }

    @Test
    void findsTheTenantOfABearerKey() {
        ApiKeys keys = ApiKeys.parse("acme:" + ApiKeys.hash("a-key") + ", beta:" + ApiKeys.hash("b-key").toUpperCase());
        assertThat(keys.size()).isEqualTo(2);
        assertThat(keys.tenantOf("Bearer a-key")).hasValue("acme");
        assertThat(keys.tenantOf("bearer b-key")).hasValue("beta");
        assertThat(keys.tenantOf("Bearer c-key")).isEmpty();
        assertThat(keys.tenantOf("Basic a-key")).isEmpty();
        assertThat(keys.tenantOf(null)).isEmpty();
    }

    @Test
    void noValueMeansNoKeys() {
        assertThat(ApiKeys.parse(null).isEmpty()).isTrue();
        assertThat(ApiKeys.parse(" , ").isEmpty()).isTrue();
    }

    @Test
    void refusesAnEntryWithoutTenantOrHash() {
        assertThatThrownBy(() -> ApiKeys.parse(ApiKeys.hash("k")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("caravan.api.keys: entry 1 is not tenant:sha256hex");
        assertThatThrownBy(() -> ApiKeys.parse("acme:abc"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("caravan.api.keys: entry 1 is not tenant:sha256hex");
    }
}
