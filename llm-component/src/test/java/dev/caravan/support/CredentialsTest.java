package dev.caravan.support;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class CredentialsTest {

    private static List<String> found(Map<String, Object> headers) {
        List<String> out = new ArrayList<>();
        Credentials.find(headers, out::add);
        return out;
    }

    @Test
    void findsCredentialHeadersByNameInAnyCase() {
        assertThat(List.of("Authorization", "proxy-authorization", "X-Api-Key", "x-goog-api-key", "apikey",
                "X-Auth-Token", "X-Amz-Security-Token", "Cookie", "Set-Cookie", "X-Client-Secret", "db_password",
                "X-Access-Key")).allMatch(Credentials::isCredentialName);
        assertThat(List.of("Idempotency-Key", "Content-Type", "Accept", "X-Trace", "CamelCaravanRunId"))
                .noneMatch(Credentials::isCredentialName);
    }

    @Test
    void findsTheTokenOfASchemeValueAndEachCookieValueToo() {
        Map<String, Object> headers = new LinkedHashMap<>();
        headers.put("Authorization", "Bearer abcdefgh-1234");
        headers.put("Cookie", "sid=s3ss10n-v4lue; theme=dark");
        headers.put("Accept", "application/json-and-more");
        assertThat(found(headers)).containsExactly("Bearer abcdefgh-1234", "abcdefgh-1234",
                "sid=s3ss10n-v4lue; theme=dark", "s3ss10n-v4lue");
    }

    @Test
    void shortValuesAreNoCredentials() {
        assertThat(found(Map.of("X-Token-Required", "true", "X-Api-Key", "1234567"))).isEmpty();
        assertThat(found(Map.of("X-Api-Key", 12345678901L))).isEmpty();
    }

    @Test
    void redactsEveryOccurrenceLongestValueFirst() {
        assertThat(Credentials.redact("auth=Bearer abcdefgh-1234, again abcdefgh-1234",
                List.of("abcdefgh-1234", "Bearer abcdefgh-1234"))).isEqualTo("auth=***, again ***");
        assertThat(Credentials.redact("nothing here", List.of())).isEqualTo("nothing here");
        assertThat(Credentials.redact(null, List.of("abcdefgh"))).isNull();
    }
}
