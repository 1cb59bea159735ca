package dev.caravan.component;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.component.node.NodeComponent;
import dev.caravan.run.Engine;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.EndpointUriFactory;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The catalog this jar ships, read as tooling reads it (Kaoto, Karavan, Camel JBang): the component list in
 * {@code component.properties}, then each scheme's JSON beside its component class.
 */
class ComponentCatalogTest {

    private static final String COMPONENT_LIST = "META-INF/services/org/apache/camel/component.properties";
    private static final String COMPONENT_SERVICE = "META-INF/services/org/apache/camel/component/";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Every node kind of the workflow format has its scheme, except remember, which caravan-set runs. */
    private static final List<String> SCHEMES = List.of("caravan-agent", "caravan-call", "caravan-emit",
            "caravan-fail", "caravan-gate", "caravan-loop", "caravan-map", "caravan-run", "caravan-set", "caravan-wait",
            "caravan-webhook", "caravan-workflow");

    /** Only these leave the process: a model provider over the network, and any endpoint at all. */
    private static final Set<String> REMOTE = Set.of("caravan-agent", "caravan-call");

    @Test
    void componentListNamesEveryScheme() {
        assertThat(listedSchemes()).containsExactlyElementsOf(SCHEMES);
    }

    @Test
    void everyListedSchemeHasItsJson() {
        for (String scheme : listedSchemes()) {
            JsonNode component = catalog(scheme).path("component");
            assertThat(component.path("scheme").asText()).as(scheme).isEqualTo(scheme);
            assertThat(component.path("artifactId").asText()).as(scheme).isEqualTo("caravan-components");
        }
    }

    @Test
    void descriptionsArePlainText() {
        for (String scheme : listedSchemes()) {
            String description = catalog(scheme).path("component").path("description").asText();
            assertThat(description).as(scheme)
                    .isNotBlank()
                    .endsWith(".")
                    // what the generator leaves of Javadoc tags and of template syntax
                    .doesNotContain("{code", "{@", "{link", "$[[", "${");
        }
    }

    @Test
    void syntaxNamesThePathOption() {
        for (String scheme : listedSchemes()) {
            JsonNode catalog = catalog(scheme);
            List<String> pathOptions = new ArrayList<>();
            catalog.path("properties").fields().forEachRemaining(option -> {
                if ("path".equals(option.getValue().path("kind").asText())) {
                    pathOptions.add(option.getKey());
                }
            });
            assertThat(pathOptions).as(scheme).hasSize(1);
            assertThat(catalog.path("component").path("syntax").asText()).as(scheme)
                    .isEqualTo(scheme + ":" + pathOptions.get(0));
        }
    }

    @Test
    void onlyAgentAndCallAreRemote() {
        for (String scheme : listedSchemes()) {
            assertThat(catalog(scheme).path("component").path("remote").asBoolean()).as(scheme)
                    .isEqualTo(REMOTE.contains(scheme));
        }
    }

    @Test
    void theCompilersInternalParameterIsNoOption() {
        for (String scheme : SCHEMES) {
            assertThat(catalog(scheme).path("properties").has(NodeComponent.RECORD_WITH_NEXT)).as(scheme).isFalse();
        }
    }

    @Test
    void componentsAreGivenNarrowServicesAsAdvancedAutowiredOptions() {
        for (String scheme : SCHEMES) {
            JsonNode options = catalog(scheme).path("componentProperties");
            assertThat(options.has("stepServices")).as(scheme).isTrue();
            options.fields().forEachRemaining(option -> {
                JsonNode o = option.getValue();
                String name = scheme + " " + option.getKey();
                assertThat(o.path("javaType").asText()).as(name).isNotEqualTo(Engine.class.getName());
                if (o.path("autowired").asBoolean()) {
                    assertThat(o.path("label").asText()).as(name).isEqualTo("advanced");
                    assertThat(o.path("description").asText()).as(name).isNotBlank().endsWith(".");
                }
            });
        }
    }

    @Test
    void uriFactoriesBuildANodeUriFromItsPath() throws Exception {
        try (CamelContext camel = new DefaultCamelContext()) {
            for (String scheme : SCHEMES) {
                if (scheme.equals("caravan-run") || scheme.equals("caravan-webhook")) {
                    continue;
                }
                EndpointUriFactory factory = camel.getCamelContextExtension().getEndpointUriFactory(scheme);
                Map<String, Object> properties = new LinkedHashMap<>();
                properties.put("nodePath", "approve");
                properties.put("workflow", "refund");
                assertThat(factory.buildUri(scheme, properties)).isEqualTo(scheme + ":approve?workflow=refund");
            }
            EndpointUriFactory run = camel.getCamelContextExtension().getEndpointUriFactory("caravan-run");
            assertThat(run.buildUri("caravan-run", Map.of("action", "start", "workflow", "refund")))
                    .isEqualTo("caravan-run:start?workflow=refund");
            EndpointUriFactory webhook = camel.getCamelContextExtension().getEndpointUriFactory("caravan-webhook");
            assertThat(webhook.buildUri("caravan-webhook",
                    Map.of("style", "github", "secret", "GITHUB_WEBHOOK_SECRET")))
                    .isEqualTo("caravan-webhook:github?secret=GITHUB_WEBHOOK_SECRET");
        }
    }

    /** The schemes of this jar's component list (the class path holds caravan-llm's list too). */
    private static List<String> listedSchemes() {
        try {
            for (URL url : Collections.list(ComponentCatalogTest.class.getClassLoader().getResources(COMPONENT_LIST))) {
                Properties list = load(url);
                if ("caravan-components".equals(list.getProperty("artifactId"))) {
                    return Arrays.asList(list.getProperty("components", "").trim().split("\\s+"));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new AssertionError("no " + COMPONENT_LIST + " of caravan-components on the class path");
    }

    /** A scheme's JSON: found, as Camel's catalog finds it, in the package of the class its service file names. */
    private static JsonNode catalog(String scheme) {
        URL service = ComponentCatalogTest.class.getClassLoader().getResource(COMPONENT_SERVICE + scheme);
        assertThat(service).as("service file of " + scheme).isNotNull();
        String type = load(service).getProperty("class");
        String json = "META-INF/" + type.substring(0, type.lastIndexOf('.')).replace('.', '/') + "/" + scheme + ".json";
        try (InputStream in = ComponentCatalogTest.class.getClassLoader().getResourceAsStream(json)) {
            assertThat(in).as(json).isNotNull();
            return JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Properties load(URL url) {
        Properties properties = new Properties();
        try (InputStream in = url.openStream()) {
            properties.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return properties;
    }
}
