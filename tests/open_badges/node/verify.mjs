// An independent verifier (digitalbazaar's stack, jose, pdf.js) of our Open Badges over our own endpoints, offline otherwise.
// Usage: node verify.mjs <base URL> <verify uuid> <contexts.json> [suspension list URL] [suspension index]
//        node verify.mjs --pdf <file.pdf> <base URL>   (the VC-JWT the PDF embeds as credential.jwt)
import fs from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import * as jose from 'jose';
import {getDocument} from 'pdfjs-dist/legacy/build/pdf.mjs';

const pdfFile = process.argv[2] === '--pdf' ? process.argv[3] : null;
const [baseUrl, verifyUuid, contextsFile, suspensionList, suspensionIndex] = process.argv.slice(pdfFile ? 4 : 2);
const contexts = contextsFile ? JSON.parse(fs.readFileSync(contextsFile, 'utf8')) : {};

async function fetchJson(url) {
  const response = await fetch(url);
  if(!response.ok) {
    throw new Error(`${url}: HTTP ${response.status}`);
  }
  return response.json();
}

// did:web:<host>:<path...>[#fragment] -> <scheme>://<host>/<path>/did.json (the scheme of the test server)
function didUrl(did) {
  const [, , host, ...path] = did.split('#')[0].split(':');
  return `${new URL(baseUrl).protocol}//${decodeURIComponent(host)}/${path.join('/')}/did.json`;
}

async function documentLoader(url) {
  if(contexts[url]) {
    return {contextUrl: null, documentUrl: url, document: contexts[url]};
  }
  if(url.startsWith('did:web:')) {
    const didDocument = await fetchJson(didUrl(url));
    if(!url.includes('#')) {
      return {contextUrl: null, documentUrl: url, document: didDocument};
    }
    const method = didDocument.verificationMethod.find(m => m.id === url);
    if(!method) {
      throw new Error(`${url} is not in the issuer's DID document`);
    }
    return {contextUrl: null, documentUrl: url,
      document: {'@context': 'https://w3id.org/security/multikey/v1', ...method}};
  }
  if(url.startsWith(baseUrl)) {
    return {contextUrl: null, documentUrl: url, document: await fetchJson(url)};
  }
  throw new Error(`refusing to load ${url}`);
}

// A VC-JWT, ES256 only, against the JWKS of the issuer its kid names (did:web, over our endpoints); jose checks
// exp and nbf when present. One path for the JWT we serve and for the one a PDF carries.
async function verifyJwt(token) {
  try {
    const {kid} = jose.decodeProtectedHeader(token);
    const jwksUrl = didUrl(kid.split('#')[0]).replace(/did\.json$/, 'jwks.json');
    if(!jwksUrl.startsWith(`${baseUrl}/`)) {
      throw new Error(`refusing to load ${jwksUrl}`);
    }
    const jwks = jose.createLocalJWKSet(await fetchJson(jwksUrl));
    const {payload} = await jose.jwtVerify(token, jwks, {algorithms: ['ES256']});
    return {verified: true, jti: payload.jti, iss: payload.iss};
  } catch(error) {
    return {verified: false, error: String(error.message)};
  }
}

// The credential as we serve it: its proof, its status lists, its VC-JWT.
async function verifyServed() {
  const suite = new DataIntegrityProof({cryptosuite});
  const answer = {};
  const credential = await fetchJson(`${baseUrl}/learning_credentials/verify/${verifyUuid}/ob3.json`);
  const verified = await vc.verifyCredential({credential, suite, documentLoader, checkStatus});
  answer.verified = verified.verified;
  answer.error = verified.error ? String(verified.error.message || verified.error) : null;
  const revocation = await checkStatus({credential, documentLoader, suite});
  answer.revocation = {verified: revocation.verified, status: revocation.results ? revocation.results[0].status : revocation.status,
    error: revocation.error ? String(revocation.error.message) : null};
  if(suspensionList) {
    const probe = {...credential, credentialStatus: {
      id: `${suspensionList}#${suspensionIndex}`, type: 'BitstringStatusListEntry', statusPurpose: 'suspension',
      statusListIndex: String(suspensionIndex), statusListCredential: suspensionList}};
    const suspension = await checkStatus({credential: probe, documentLoader, suite});
    answer.suspension = {verified: suspension.verified, status: suspension.results ? suspension.results[0].status : suspension.status,
      error: suspension.error ? String(suspension.error.message) : null};
  }
  const token = await (await fetch(`${baseUrl}/learning_credentials/verify/${verifyUuid}/ob3.jwt`)).text();
  answer.jwt = await verifyJwt(token);
  return answer;
}

// The VC-JWT a credential PDF embeds: the file credential.jwt of the catalog's /Names /EmbeddedFiles name tree, as
// pdf.js reads it (the tree's /Kids, the stream's filters and incremental updates are pdf.js's business), exact bytes.
async function verifyPdf(file) {
  const pdf = await getDocument({data: new Uint8Array(fs.readFileSync(file)), isEvalSupported: false, verbosity: 0}).promise;
  try {
    const attachments = (await pdf.getAttachments()) ?? {};
    const answer = {attachments: Object.keys(attachments)};
    const embedded = attachments['credential.jwt'];
    answer.jwt = embedded
      ? await verifyJwt(new TextDecoder('utf-8', {fatal: true}).decode(embedded.content))
      : {verified: false, error: 'the PDF embeds no credential.jwt'};
    return answer;
  } finally {
    await pdf.destroy();
  }
}

console.log(JSON.stringify(pdfFile ? await verifyPdf(pdfFile) : await verifyServed()));
