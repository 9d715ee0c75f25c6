import { toCamel } from "../case.js";
/** `novavms.eventTypes`: the catalogue of message types (any role but an ingest key). */
export class EventTypes {
    #client;
    constructor(client) {
        this.#client = client;
    }
    /** Every type, with its description and JSON Schema. */
    async list(options) {
        const answer = toCamel(await this.#client.requestJson("list_event_types", {}, options));
        return answer.data;
    }
}
