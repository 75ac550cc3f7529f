// The map page's script: layers, the format/before-after selector and the legend.
(function(){
const D=QH_DATA,C=QH_CONFIG,L_=C.labels;
const map=L.map('map',{preferCanvas:false});
if(C.tiles){L.tileLayer(C.tiles,{attribution:C.attribution,subdomains:C.subdomains||'abc',maxZoom:19}).addTo(map);}
const state={format:'all',when:'after'};
function ramp(v){const s=[[255,255,229],[120,198,121],[0,69,41]];const t=Math.max(0,Math.min(1,v));
 const i=t<0.5?0:1,u=t<0.5?t/0.5:(t-0.5)/0.5,a=s[i],b=s[i+1];
 return 'rgb('+a.map((x,k)=>Math.round(x+(b[k]-x)*u)).join(',')+')';}
function value(p){const w=p[state.when];if(!w)return null;
 if(state.format==='all'){const v=Object.values(w);return v.length?v.reduce((a,b)=>a+b,0)/v.length:null;}
 return w[state.format];}
function style(f){const v=value(f.properties);
 return {color:'#555',weight:0.6,fillOpacity:0.75,fillColor:v===null?'#ccc':ramp(v)};}
const esc=s=>String(s).replace(/[&<>"']/g,c=>'&#'+c.charCodeAt(0)+';');
const residences=L.geoJSON(D.residences,{style:style,
 pointToLayer:(f,ll)=>L.circleMarker(ll,{radius:5}),
 onEachFeature:(f,l)=>l.bindTooltip(()=>esc(f.properties.id)+' · '+L_.population+' '+f.properties.population+
  (value(f.properties)===null?'':' · '+Math.round(100*value(f.properties))+'%'))});
const palette=['#1b9e77','#d95f02','#7570b3','#e7298a','#66a61e','#e6ab02','#a6761d','#666666','#1f78b4','#b2df8a'];
const fkeys=Object.keys(D.formats);
const colour=k=>palette[Math.max(0,fkeys.indexOf(k))%palette.length];
const outlets=L.geoJSON(D.outlets,{pointToLayer:(f,ll)=>L.circleMarker(ll,{radius:4,color:'#222',weight:1,
 fillColor:colour(f.properties.format),fillOpacity:1}),onEachFeature:(f,l)=>l.bindTooltip(esc(f.properties.name))});
const chosen=L.geoJSON(D.chosen,{pointToLayer:(f,ll)=>L.circleMarker(ll,{radius:9,color:'#b30000',weight:3,
 fillColor:'#ef3b2c',fillOpacity:0.9}),onEachFeature:(f,l)=>l.bindTooltip(esc(f.properties.label)+'<br>'+
 esc(f.properties.formats)+'<br>'+f.properties.area+' m²')});
const candidates=L.geoJSON(D.candidates,{pointToLayer:(f,ll)=>L.circleMarker(ll,{radius:5,color:'#777',weight:1.5,
 fill:false,dashArray:'2,2'}),onEachFeature:(f,l)=>l.bindTooltip(esc(f.properties.label)+' · '+f.properties.area+' m²')});
const layers={residences:residences,outlets:outlets,chosen:chosen,candidates:candidates};
Object.values(layers).forEach(l=>l.addTo(map));
const overlays={};for(const k in layers){overlays[L_[k]]=layers[k];}
L.control.layers(null,overlays,{collapsed:false}).addTo(map);
const all=L.featureGroup(Object.values(layers));const b=all.getBounds();
if(b.isValid()){map.fitBounds(b,{padding:[20,20]});}else{map.setView([31.23,121.47],14);}
const panel=L.control({position:'topleft'});
panel.onAdd=function(){const div=L.DomUtil.create('div','qh-panel');
 let opts='<option value="all">'+esc(L_.all)+'</option>';
 for(const k of fkeys){opts+='<option value="'+esc(k)+'">'+esc(D.formats[k])+'</option>';}
 div.innerHTML='<select id="qh-format">'+opts+'</select> <label><input type="radio" name="qh-when" value="before"> '+
  esc(L_.before)+'</label> <label><input type="radio" name="qh-when" value="after" checked> '+esc(L_.after)+'</label>';
 L.DomEvent.disableClickPropagation(div);return div;};
panel.addTo(map);
// With one format selected, dim the outlets and chosen sites of other formats.
function shown(f){return state.format==='all'||f.properties.format===state.format||
 (f.properties.keys||[]).includes(state.format);}
function refresh(){residences.setStyle(style);
 [outlets,chosen].forEach(g=>g.eachLayer(l=>l.setStyle({opacity:shown(l.feature)?1:0.15,
  fillOpacity:shown(l.feature)?0.9:0.1})));}
document.getElementById('qh-format').addEventListener('change',e=>{state.format=e.target.value;refresh();});
document.querySelectorAll('input[name=qh-when]').forEach(r=>r.addEventListener('change',e=>{state.when=e.target.value;refresh();}));
const legend=L.control({position:'bottomright'});
legend.onAdd=function(){const div=L.DomUtil.create('div','qh-panel');
 let h='<b>'+esc(L_.share)+'</b><br>0% <span class="qh-ramp"></span> 100%<br>'+
  '<span class="qh-sym" style="background:#ef3b2c;border-radius:50%"></span>'+esc(L_.chosen)+'<br>'+
  '<span class="qh-sym" style="border-style:dashed;border-radius:50%"></span>'+esc(L_.candidates)+'<br>';
 const present=new Set(D.outlets.features.map(f=>f.properties.format));
 for(const k of fkeys){if(present.has(k)){h+='<span class="qh-sym" style="background:'+colour(k)+';border-radius:50%"></span>'+
  esc(L_.outlets)+'：'+esc(D.formats[k])+'<br>';}}
 div.innerHTML=h;return div;};
legend.addTo(map);
window.qh={map:map,layers:layers,state:state,counts:Object.fromEntries(Object.entries(layers).map(([k,l])=>[k,l.getLayers().length]))};
})();
